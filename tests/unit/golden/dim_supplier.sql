CREATE TABLE IF NOT EXISTS gold.dim_supplier (
  supplier_key BIGINT NOT NULL,
  supplier_name VARCHAR(25) NOT NULL,
  address VARCHAR(40) NOT NULL,
  phone VARCHAR(15) NOT NULL,
  account_balance DECIMAL(15,2) NOT NULL,
  nation_key BIGINT NOT NULL,
  nation_name VARCHAR(25) NOT NULL,
  region_key BIGINT NOT NULL,
  region_name VARCHAR(25) NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  PRIMARY KEY (supplier_key)
)
DISTSTYLE ALL
COMPOUND SORTKEY (supplier_key);

CREATE TEMP TABLE stage_dim_supplier (
  supplier_key BIGINT,
  supplier_name VARCHAR(25),
  address VARCHAR(40),
  phone VARCHAR(15),
  account_balance DECIMAL(15,2),
  nation_key BIGINT,
  nation_name VARCHAR(25),
  region_key BIGINT,
  region_name VARCHAR(25),
  updated_at TIMESTAMP
);

COPY stage_dim_supplier
FROM 's3://assets/warehouse/manifests/gold/dim_supplier/v7.manifest'
IAM_ROLE 'arn:aws:iam::123456789012:role/gladiator-warehouse-copy'
FORMAT AS PARQUET
MANIFEST;

MERGE INTO gold.dim_supplier AS t
USING stage_dim_supplier AS s
ON t.supplier_key = s.supplier_key
WHEN MATCHED THEN UPDATE SET supplier_name = s.supplier_name, address = s.address, phone = s.phone, account_balance = s.account_balance, nation_key = s.nation_key, nation_name = s.nation_name, region_key = s.region_key, region_name = s.region_name, updated_at = s.updated_at
WHEN NOT MATCHED THEN INSERT (supplier_key, supplier_name, address, phone, account_balance, nation_key, nation_name, region_key, region_name, updated_at)
VALUES (s.supplier_key, s.supplier_name, s.address, s.phone, s.account_balance, s.nation_key, s.nation_name, s.region_key, s.region_name, s.updated_at);

DELETE FROM gold.dim_supplier
WHERE NOT EXISTS (
  SELECT 1 FROM stage_dim_supplier AS s WHERE gold.dim_supplier.supplier_key = s.supplier_key
);

DELETE FROM gold._load_ledger WHERE table_name = 'dim_supplier';

INSERT INTO gold._load_ledger (table_name, delta_version, row_count, loaded_at)
SELECT 'dim_supplier', 7, (SELECT COUNT(*) FROM gold.dim_supplier), GETDATE();

DROP TABLE stage_dim_supplier;

