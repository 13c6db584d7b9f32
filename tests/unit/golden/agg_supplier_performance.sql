CREATE TABLE IF NOT EXISTS gold.agg_supplier_performance (
  supplier_key BIGINT NOT NULL,
  supplier_name VARCHAR(25) NOT NULL,
  nation_key BIGINT NOT NULL,
  nation_name VARCHAR(25) NOT NULL,
  region_name VARCHAR(25) NOT NULL,
  line_count BIGINT NOT NULL,
  late_line_count BIGINT NOT NULL,
  late_shipment_ratio DECIMAL(9,6) NOT NULL,
  avg_ship_lag_days DECIMAL(9,2) NOT NULL,
  avg_delivery_delay_days DECIMAL(9,2) NOT NULL,
  avg_days_late DECIMAL(9,2),
  net_revenue DECIMAL(22,4) NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  PRIMARY KEY (supplier_key)
)
DISTSTYLE ALL
COMPOUND SORTKEY (supplier_key);

CREATE TEMP TABLE stage_agg_supplier_performance (
  supplier_key BIGINT,
  supplier_name VARCHAR(25),
  nation_key BIGINT,
  nation_name VARCHAR(25),
  region_name VARCHAR(25),
  line_count BIGINT,
  late_line_count BIGINT,
  late_shipment_ratio DECIMAL(9,6),
  avg_ship_lag_days DECIMAL(9,2),
  avg_delivery_delay_days DECIMAL(9,2),
  avg_days_late DECIMAL(9,2),
  net_revenue DECIMAL(22,4),
  updated_at TIMESTAMP
);

COPY stage_agg_supplier_performance
FROM 's3://assets/warehouse/manifests/gold/agg_supplier_performance/v7.manifest'
IAM_ROLE 'arn:aws:iam::123456789012:role/gladiator-warehouse-copy'
FORMAT AS PARQUET
MANIFEST;

MERGE INTO gold.agg_supplier_performance AS t
USING stage_agg_supplier_performance AS s
ON t.supplier_key = s.supplier_key
WHEN MATCHED THEN UPDATE SET supplier_name = s.supplier_name, nation_key = s.nation_key, nation_name = s.nation_name, region_name = s.region_name, line_count = s.line_count, late_line_count = s.late_line_count, late_shipment_ratio = s.late_shipment_ratio, avg_ship_lag_days = s.avg_ship_lag_days, avg_delivery_delay_days = s.avg_delivery_delay_days, avg_days_late = s.avg_days_late, net_revenue = s.net_revenue, updated_at = s.updated_at
WHEN NOT MATCHED THEN INSERT (supplier_key, supplier_name, nation_key, nation_name, region_name, line_count, late_line_count, late_shipment_ratio, avg_ship_lag_days, avg_delivery_delay_days, avg_days_late, net_revenue, updated_at)
VALUES (s.supplier_key, s.supplier_name, s.nation_key, s.nation_name, s.region_name, s.line_count, s.late_line_count, s.late_shipment_ratio, s.avg_ship_lag_days, s.avg_delivery_delay_days, s.avg_days_late, s.net_revenue, s.updated_at);

DELETE FROM gold.agg_supplier_performance
WHERE NOT EXISTS (
  SELECT 1 FROM stage_agg_supplier_performance AS s WHERE gold.agg_supplier_performance.supplier_key = s.supplier_key
);

DELETE FROM gold._load_ledger WHERE table_name = 'agg_supplier_performance';

INSERT INTO gold._load_ledger (table_name, delta_version, row_count, loaded_at)
SELECT 'agg_supplier_performance', 7, (SELECT COUNT(*) FROM gold.agg_supplier_performance), GETDATE();

DROP TABLE stage_agg_supplier_performance;

