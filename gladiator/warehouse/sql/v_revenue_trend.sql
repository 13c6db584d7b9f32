-- Revenue trend by order month x customer region x market segment (dashboard: line per region).
SELECT month_start, order_year, order_month, region_name, market_segment,
       order_count, customer_count, line_count, gross_revenue, net_revenue, avg_basket
FROM {schema}.agg_revenue_monthly
