-- Customers ranked by lifetime net revenue (overall and within their region); ordering customers only.
SELECT customer_key, customer_name, nation_name, region_name, market_segment,
       order_count, lifetime_revenue, avg_basket, first_order_date, last_order_date,
       RANK() OVER (ORDER BY lifetime_revenue DESC, customer_key) AS revenue_rank,
       RANK() OVER (PARTITION BY region_name ORDER BY lifetime_revenue DESC, customer_key) AS region_rank
FROM {schema}.dim_customer
WHERE order_count > 0
