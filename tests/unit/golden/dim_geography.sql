CREATE TABLE IF NOT EXISTS gold.dim_geography (
  nation_key BIGINT NOT NULL,
  nation_name VARCHAR(25) NOT NULL,
  region_key BIGINT NOT NULL,
  region_name VARCHAR(25) NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  PRIMARY KEY (nation_key)
)
DISTSTYLE ALL
COMPOUND SORTKEY (nation_key);

CREATE TEMP TABLE stage_dim_geography (
  nation_key BIGINT,
  nation_name VARCHAR(25),
  region_key BIGINT,
  region_name VARCHAR(25),
  updated_at TIMESTAMP
);

COPY stage_dim_geography
FROM 's3://assets/warehouse/manifests/gold/dim_geography/v7.manifest'
IAM_ROLE 'arn:aws:iam::123456789012:role/gladiator-warehouse-copy'
FORMAT AS PARQUET
MANIFEST;

MERGE INTO gold.dim_geography AS t
USING stage_dim_geography AS s
ON t.nation_key = s.nation_key
WHEN MATCHED THEN UPDATE SET nation_name = s.nation_name, region_key = s.region_key, region_name = s.region_name, updated_at = s.updated_at
WHEN NOT MATCHED THEN INSERT (nation_key, nation_name, region_key, region_name, updated_at)
VALUES (s.nation_key, s.nation_name, s.region_key, s.region_name, s.updated_at);

DELETE FROM gold.dim_geography
WHERE NOT EXISTS (
  SELECT 1 FROM stage_dim_geography AS s WHERE gold.dim_geography.nation_key = s.nation_key
);

DELETE FROM gold._load_ledger WHERE table_name = 'dim_geography';

INSERT INTO gold._load_ledger (table_name, delta_version, row_count, loaded_at)
SELECT 'dim_geography', 7, (SELECT COUNT(*) FROM gold.dim_geography), GETDATE();

DROP TABLE stage_dim_geography;

