CREATE TABLE IF NOT EXISTS gold.agg_return_rate (
  part_type VARCHAR(25) NOT NULL,
  brand VARCHAR(10) NOT NULL,
  line_count BIGINT NOT NULL,
  returned_line_count BIGINT NOT NULL,
  return_rate DECIMAL(9,6) NOT NULL,
  returned_quantity DECIMAL(22,2) NOT NULL,
  net_revenue DECIMAL(22,4) NOT NULL,
  returned_net_revenue DECIMAL(22,4) NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  PRIMARY KEY (part_type, brand)
)
DISTSTYLE ALL
COMPOUND SORTKEY (part_type);

CREATE TEMP TABLE stage_agg_return_rate (
  part_type VARCHAR(25),
  brand VARCHAR(10),
  line_count BIGINT,
  returned_line_count BIGINT,
  return_rate DECIMAL(9,6),
  returned_quantity DECIMAL(22,2),
  net_revenue DECIMAL(22,4),
  returned_net_revenue DECIMAL(22,4),
  updated_at TIMESTAMP
);

COPY stage_agg_return_rate
FROM 's3://assets/warehouse/manifests/gold/agg_return_rate/v7.manifest'
IAM_ROLE 'arn:aws:iam::123456789012:role/gladiator-warehouse-copy'
FORMAT AS PARQUET
MANIFEST;

MERGE INTO gold.agg_return_rate AS t
USING stage_agg_return_rate AS s
ON t.part_type = s.part_type AND t.brand = s.brand
WHEN MATCHED THEN UPDATE SET line_count = s.line_count, returned_line_count = s.returned_line_count, return_rate = s.return_rate, returned_quantity = s.returned_quantity, net_revenue = s.net_revenue, returned_net_revenue = s.returned_net_revenue, updated_at = s.updated_at
WHEN NOT MATCHED THEN INSERT (part_type, brand, line_count, returned_line_count, return_rate, returned_quantity, net_revenue, returned_net_revenue, updated_at)
VALUES (s.part_type, s.brand, s.line_count, s.returned_line_count, s.return_rate, s.returned_quantity, s.net_revenue, s.returned_net_revenue, s.updated_at);

DELETE FROM gold.agg_return_rate
WHERE NOT EXISTS (
  SELECT 1 FROM stage_agg_return_rate AS s WHERE gold.agg_return_rate.part_type = s.part_type AND gold.agg_return_rate.brand = s.brand
);

DELETE FROM gold._load_ledger WHERE table_name = 'agg_return_rate';

INSERT INTO gold._load_ledger (table_name, delta_version, row_count, loaded_at)
SELECT 'agg_return_rate', 7, (SELECT COUNT(*) FROM gold.agg_return_rate), GETDATE();

DROP TABLE stage_agg_return_rate;

