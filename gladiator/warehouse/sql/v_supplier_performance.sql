-- Supplier delivery performance, ranked by lateness within the supplier's nation.
SELECT supplier_key, supplier_name, nation_key, nation_name, region_name,
       line_count, late_line_count, late_shipment_ratio, avg_ship_lag_days,
       avg_delivery_delay_days, avg_days_late, net_revenue,
       RANK() OVER (PARTITION BY nation_key ORDER BY late_shipment_ratio DESC, supplier_key) AS lateness_rank_in_nation
FROM {schema}.agg_supplier_performance
