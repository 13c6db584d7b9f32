-- Order status x priority mix by order year.
SELECT order_year, order_status, order_priority, order_count, order_share,
       total_price, net_revenue, line_count, avg_lines_per_order
FROM {schema}.agg_order_status_mix
