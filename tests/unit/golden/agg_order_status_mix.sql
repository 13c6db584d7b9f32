CREATE TABLE IF NOT EXISTS gold.agg_order_status_mix (
  order_year INTEGER NOT NULL,
  order_status VARCHAR(1) NOT NULL,
  order_priority VARCHAR(15) NOT NULL,
  order_count BIGINT NOT NULL,
  order_share DECIMAL(9,6) NOT NULL,
  total_price DECIMAL(22,2) NOT NULL,
  net_revenue DECIMAL(22,4) NOT NULL,
  avg_lines_per_order DECIMAL(9,2) NOT NULL,
  line_count BIGINT NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  PRIMARY KEY (order_year, order_status, order_priority)
)
DISTSTYLE ALL
COMPOUND SORTKEY (order_year);

CREATE TEMP TABLE stage_agg_order_status_mix (
  order_year INTEGER,
  order_status VARCHAR(1),
  order_priority VARCHAR(15),
  order_count BIGINT,
  order_share DECIMAL(9,6),
  total_price DECIMAL(22,2),
  net_revenue DECIMAL(22,4),
  avg_lines_per_order DECIMAL(9,2),
  line_count BIGINT,
  updated_at TIMESTAMP
);

COPY stage_agg_order_status_mix
FROM 's3://assets/warehouse/manifests/gold/agg_order_status_mix/v7.manifest'
IAM_ROLE 'arn:aws:iam::123456789012:role/gladiator-warehouse-copy'
FORMAT AS PARQUET
MANIFEST;

MERGE INTO gold.agg_order_status_mix AS t
USING stage_agg_order_status_mix AS s
ON t.order_year = s.order_year AND t.order_status = s.order_status AND t.order_priority = s.order_priority
WHEN MATCHED THEN UPDATE SET order_count = s.order_count, order_share = s.order_share, total_price = s.total_price, net_revenue = s.net_revenue, avg_lines_per_order = s.avg_lines_per_order, line_count = s.line_count, updated_at = s.updated_at
WHEN NOT MATCHED THEN INSERT (order_year, order_status, order_priority, order_count, order_share, total_price, net_revenue, avg_lines_per_order, line_count, updated_at)
VALUES (s.order_year, s.order_status, s.order_priority, s.order_count, s.order_share, s.total_price, s.net_revenue, s.avg_lines_per_order, s.line_count, s.updated_at);

DELETE FROM gold.agg_order_status_mix
WHERE NOT EXISTS (
  SELECT 1 FROM stage_agg_order_status_mix AS s WHERE gold.agg_order_status_mix.order_year = s.order_year AND gold.agg_order_status_mix.order_status = s.order_status AND gold.agg_order_status_mix.order_priority = s.order_priority
);

DELETE FROM gold._load_ledger WHERE table_name = 'agg_order_status_mix';

INSERT INTO gold._load_ledger (table_name, delta_version, row_count, loaded_at)
SELECT 'agg_order_status_mix', 7, (SELECT COUNT(*) FROM gold.agg_order_status_mix), GETDATE();

DROP TABLE stage_agg_order_status_mix;

