CREATE TABLE IF NOT EXISTS gold.dim_date (
  date_key INTEGER NOT NULL,
  date DATE NOT NULL,
  year INTEGER NOT NULL,
  quarter INTEGER NOT NULL,
  month INTEGER NOT NULL,
  month_name VARCHAR(9) NOT NULL,
  year_month VARCHAR(7) NOT NULL,
  day_of_month INTEGER NOT NULL,
  day_of_week INTEGER NOT NULL,
  day_name VARCHAR(9) NOT NULL,
  week_of_year INTEGER NOT NULL,
  is_weekend INTEGER NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  PRIMARY KEY (date_key)
)
DISTSTYLE ALL
COMPOUND SORTKEY (date_key);

CREATE TEMP TABLE stage_dim_date (
  date_key INTEGER,
  date DATE,
  year INTEGER,
  quarter INTEGER,
  month INTEGER,
  month_name VARCHAR(9),
  year_month VARCHAR(7),
  day_of_month INTEGER,
  day_of_week INTEGER,
  day_name VARCHAR(9),
  week_of_year INTEGER,
  is_weekend INTEGER,
  updated_at TIMESTAMP
);

COPY stage_dim_date
FROM 's3://assets/warehouse/manifests/gold/dim_date/v7.manifest'
IAM_ROLE 'arn:aws:iam::123456789012:role/gladiator-warehouse-copy'
FORMAT AS PARQUET
MANIFEST;

MERGE INTO gold.dim_date AS t
USING stage_dim_date AS s
ON t.date_key = s.date_key
WHEN MATCHED THEN UPDATE SET date = s.date, year = s.year, quarter = s.quarter, month = s.month, month_name = s.month_name, year_month = s.year_month, day_of_month = s.day_of_month, day_of_week = s.day_of_week, day_name = s.day_name, week_of_year = s.week_of_year, is_weekend = s.is_weekend, updated_at = s.updated_at
WHEN NOT MATCHED THEN INSERT (date_key, date, year, quarter, month, month_name, year_month, day_of_month, day_of_week, day_name, week_of_year, is_weekend, updated_at)
VALUES (s.date_key, s.date, s.year, s.quarter, s.month, s.month_name, s.year_month, s.day_of_month, s.day_of_week, s.day_name, s.week_of_year, s.is_weekend, s.updated_at);

DELETE FROM gold.dim_date
WHERE NOT EXISTS (
  SELECT 1 FROM stage_dim_date AS s WHERE gold.dim_date.date_key = s.date_key
);

DELETE FROM gold._load_ledger WHERE table_name = 'dim_date';

INSERT INTO gold._load_ledger (table_name, delta_version, row_count, loaded_at)
SELECT 'dim_date', 7, (SELECT COUNT(*) FROM gold.dim_date), GETDATE();

DROP TABLE stage_dim_date;

