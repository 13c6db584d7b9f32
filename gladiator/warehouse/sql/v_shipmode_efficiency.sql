-- Shipping-mode efficiency by ship year: lateness, transit time, volume.
SELECT ship_year, ship_mode, line_count, late_line_count, late_shipment_ratio,
       avg_transit_days, avg_ship_lag_days, avg_delivery_delay_days, quantity, net_revenue
FROM {schema}.agg_shipmode_efficiency
