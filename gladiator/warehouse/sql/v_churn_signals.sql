-- Churn signals by region x market segment: recency buckets, frequency drop, the at-risk rule
-- (gladiator.metrics.IS_AT_RISK, already evaluated per customer in dim_customer).
SELECT region_name, market_segment,
       COUNT(*) AS customers,
       SUM(CASE WHEN order_count > 0 THEN 1 ELSE 0 END) AS ordering_customers,
       SUM(is_at_risk) AS at_risk_customers,
       ROUND(CAST(SUM(is_at_risk) AS DECIMAL(18,6))
             / NULLIF(SUM(CASE WHEN order_count > 0 THEN 1 ELSE 0 END), 0), 6) AS at_risk_rate,
       SUM(CASE WHEN frequency_trend < 0 THEN 1 ELSE 0 END) AS slowing_customers,
       ROUND(AVG(CAST(recency_days AS DECIMAL(18,2))), 2) AS avg_recency_days,
       SUM(CASE WHEN recency_days <= 90 THEN 1 ELSE 0 END) AS recency_0_90,
       SUM(CASE WHEN recency_days > 90 AND recency_days <= 180 THEN 1 ELSE 0 END) AS recency_91_180,
       SUM(CASE WHEN recency_days > 180 AND recency_days <= 365 THEN 1 ELSE 0 END) AS recency_181_365,
       SUM(CASE WHEN recency_days > 365 THEN 1 ELSE 0 END) AS recency_over_365
FROM {schema}.dim_customer
GROUP BY region_name, market_segment
