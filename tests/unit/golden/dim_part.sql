CREATE TABLE IF NOT EXISTS gold.dim_part (
  part_key BIGINT NOT NULL,
  part_name VARCHAR(55) NOT NULL,
  manufacturer VARCHAR(25) NOT NULL,
  brand VARCHAR(10) NOT NULL,
  part_type VARCHAR(25) NOT NULL,
  size INTEGER NOT NULL,
  container VARCHAR(10) NOT NULL,
  retail_price DECIMAL(15,2) NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  PRIMARY KEY (part_key)
)
DISTSTYLE KEY DISTKEY (part_key)
COMPOUND SORTKEY (part_key);

CREATE TEMP TABLE stage_dim_part (
  part_key BIGINT,
  part_name VARCHAR(55),
  manufacturer VARCHAR(25),
  brand VARCHAR(10),
  part_type VARCHAR(25),
  size INTEGER,
  container VARCHAR(10),
  retail_price DECIMAL(15,2),
  updated_at TIMESTAMP
);

COPY stage_dim_part
FROM 's3://assets/warehouse/manifests/gold/dim_part/v7.manifest'
IAM_ROLE 'arn:aws:iam::123456789012:role/gladiator-warehouse-copy'
FORMAT AS PARQUET
MANIFEST;

MERGE INTO gold.dim_part AS t
USING stage_dim_part AS s
ON t.part_key = s.part_key
WHEN MATCHED THEN UPDATE SET part_name = s.part_name, manufacturer = s.manufacturer, brand = s.brand, part_type = s.part_type, size = s.size, container = s.container, retail_price = s.retail_price, updated_at = s.updated_at
WHEN NOT MATCHED THEN INSERT (part_key, part_name, manufacturer, brand, part_type, size, container, retail_price, updated_at)
VALUES (s.part_key, s.part_name, s.manufacturer, s.brand, s.part_type, s.size, s.container, s.retail_price, s.updated_at);

DELETE FROM gold.dim_part
WHERE NOT EXISTS (
  SELECT 1 FROM stage_dim_part AS s WHERE gold.dim_part.part_key = s.part_key
);

DELETE FROM gold._load_ledger WHERE table_name = 'dim_part';

INSERT INTO gold._load_ledger (table_name, delta_version, row_count, loaded_at)
SELECT 'dim_part', 7, (SELECT COUNT(*) FROM gold.dim_part), GETDATE();

DROP TABLE stage_dim_part;

