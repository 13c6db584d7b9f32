CREATE TABLE IF NOT EXISTS gold.agg_revenue_monthly (
  order_year INTEGER NOT NULL,
  order_month INTEGER NOT NULL,
  month_start DATE NOT NULL,
  region_key BIGINT NOT NULL,
  region_name VARCHAR(25) NOT NULL,
  market_segment VARCHAR(10) NOT NULL,
  order_count BIGINT NOT NULL,
  customer_count BIGINT NOT NULL,
  line_count BIGINT NOT NULL,
  quantity DECIMAL(22,2) NOT NULL,
  gross_revenue DECIMAL(22,2) NOT NULL,
  net_revenue DECIMAL(22,4) NOT NULL,
  tax_amount DECIMAL(22,6) NOT NULL,
  avg_basket DECIMAL(18,4) NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  PRIMARY KEY (order_year, order_month, region_key, market_segment)
)
DISTSTYLE ALL
COMPOUND SORTKEY (order_year, order_month);

CREATE TEMP TABLE stage_agg_revenue_monthly (
  order_year INTEGER,
  order_month INTEGER,
  month_start DATE,
  region_key BIGINT,
  region_name VARCHAR(25),
  market_segment VARCHAR(10),
  order_count BIGINT,
  customer_count BIGINT,
  line_count BIGINT,
  quantity DECIMAL(22,2),
  gross_revenue DECIMAL(22,2),
  net_revenue DECIMAL(22,4),
  tax_amount DECIMAL(22,6),
  avg_basket DECIMAL(18,4),
  updated_at TIMESTAMP
);

COPY stage_agg_revenue_monthly
FROM 's3://assets/warehouse/manifests/gold/agg_revenue_monthly/v7.manifest'
IAM_ROLE 'arn:aws:iam::123456789012:role/gladiator-warehouse-copy'
FORMAT AS PARQUET
MANIFEST;

MERGE INTO gold.agg_revenue_monthly AS t
USING stage_agg_revenue_monthly AS s
ON t.order_year = s.order_year AND t.order_month = s.order_month AND t.region_key = s.region_key AND t.market_segment = s.market_segment
WHEN MATCHED THEN UPDATE SET month_start = s.month_start, region_name = s.region_name, order_count = s.order_count, customer_count = s.customer_count, line_count = s.line_count, quantity = s.quantity, gross_revenue = s.gross_revenue, net_revenue = s.net_revenue, tax_amount = s.tax_amount, avg_basket = s.avg_basket, updated_at = s.updated_at
WHEN NOT MATCHED THEN INSERT (order_year, order_month, month_start, region_key, region_name, market_segment, order_count, customer_count, line_count, quantity, gross_revenue, net_revenue, tax_amount, avg_basket, updated_at)
VALUES (s.order_year, s.order_month, s.month_start, s.region_key, s.region_name, s.market_segment, s.order_count, s.customer_count, s.line_count, s.quantity, s.gross_revenue, s.net_revenue, s.tax_amount, s.avg_basket, s.updated_at);

DELETE FROM gold.agg_revenue_monthly
WHERE NOT EXISTS (
  SELECT 1 FROM stage_agg_revenue_monthly AS s WHERE gold.agg_revenue_monthly.order_year = s.order_year AND gold.agg_revenue_monthly.order_month = s.order_month AND gold.agg_revenue_monthly.region_key = s.region_key AND gold.agg_revenue_monthly.market_segment = s.market_segment
);

DELETE FROM gold._load_ledger WHERE table_name = 'agg_revenue_monthly';

INSERT INTO gold._load_ledger (table_name, delta_version, row_count, loaded_at)
SELECT 'agg_revenue_monthly', 7, (SELECT COUNT(*) FROM gold.agg_revenue_monthly), GETDATE();

DROP TABLE stage_agg_revenue_monthly;

