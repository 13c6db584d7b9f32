-- Return rate by part type x brand (returned = return flag 'R').
SELECT part_type, brand, line_count, returned_line_count, return_rate,
       returned_quantity, net_revenue, returned_net_revenue
FROM {schema}.agg_return_rate
