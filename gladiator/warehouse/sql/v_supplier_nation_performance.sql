-- Supplier delivery performance rolled up by the suppliers' nation.
SELECT nation_key, nation_name, region_name, supplier_count, line_count, late_line_count,
       late_shipment_ratio, avg_ship_lag_days, avg_delivery_delay_days, avg_days_late, net_revenue
FROM {schema}.agg_supplier_nation_performance
