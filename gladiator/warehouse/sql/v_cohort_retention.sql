-- Cohort retention: customers by first-order year, share still ordering in each later year.
SELECT cohort_year, activity_year, years_since_first_order, cohort_size, active_customers,
       retention_rate, order_count, net_revenue
FROM {schema}.agg_cohort_retention
