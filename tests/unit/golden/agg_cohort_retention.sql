CREATE TABLE IF NOT EXISTS gold.agg_cohort_retention (
  cohort_year INTEGER NOT NULL,
  activity_year INTEGER NOT NULL,
  years_since_first_order INTEGER NOT NULL,
  cohort_size BIGINT NOT NULL,
  active_customers BIGINT NOT NULL,
  retention_rate DECIMAL(9,6) NOT NULL,
  order_count BIGINT NOT NULL,
  net_revenue DECIMAL(22,4) NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  PRIMARY KEY (cohort_year, activity_year)
)
DISTSTYLE ALL
COMPOUND SORTKEY (cohort_year, activity_year);

CREATE TEMP TABLE stage_agg_cohort_retention (
  cohort_year INTEGER,
  activity_year INTEGER,
  years_since_first_order INTEGER,
  cohort_size BIGINT,
  active_customers BIGINT,
  retention_rate DECIMAL(9,6),
  order_count BIGINT,
  net_revenue DECIMAL(22,4),
  updated_at TIMESTAMP
);

COPY stage_agg_cohort_retention
FROM 's3://assets/warehouse/manifests/gold/agg_cohort_retention/v7.manifest'
IAM_ROLE 'arn:aws:iam::123456789012:role/gladiator-warehouse-copy'
FORMAT AS PARQUET
MANIFEST;

MERGE INTO gold.agg_cohort_retention AS t
USING stage_agg_cohort_retention AS s
ON t.cohort_year = s.cohort_year AND t.activity_year = s.activity_year
WHEN MATCHED THEN UPDATE SET years_since_first_order = s.years_since_first_order, cohort_size = s.cohort_size, active_customers = s.active_customers, retention_rate = s.retention_rate, order_count = s.order_count, net_revenue = s.net_revenue, updated_at = s.updated_at
WHEN NOT MATCHED THEN INSERT (cohort_year, activity_year, years_since_first_order, cohort_size, active_customers, retention_rate, order_count, net_revenue, updated_at)
VALUES (s.cohort_year, s.activity_year, s.years_since_first_order, s.cohort_size, s.active_customers, s.retention_rate, s.order_count, s.net_revenue, s.updated_at);

DELETE FROM gold.agg_cohort_retention
WHERE NOT EXISTS (
  SELECT 1 FROM stage_agg_cohort_retention AS s WHERE gold.agg_cohort_retention.cohort_year = s.cohort_year AND gold.agg_cohort_retention.activity_year = s.activity_year
);

DELETE FROM gold._load_ledger WHERE table_name = 'agg_cohort_retention';

INSERT INTO gold._load_ledger (table_name, delta_version, row_count, loaded_at)
SELECT 'agg_cohort_retention', 7, (SELECT COUNT(*) FROM gold.agg_cohort_retention), GETDATE();

DROP TABLE stage_agg_cohort_retention;

