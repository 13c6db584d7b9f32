CREATE TABLE IF NOT EXISTS gold.dim_customer (
  customer_key BIGINT NOT NULL,
  customer_name VARCHAR(25) NOT NULL,
  address VARCHAR(40) NOT NULL,
  phone VARCHAR(15) NOT NULL,
  account_balance DECIMAL(15,2) NOT NULL,
  market_segment VARCHAR(10) NOT NULL,
  nation_key BIGINT NOT NULL,
  nation_name VARCHAR(25) NOT NULL,
  region_key BIGINT NOT NULL,
  region_name VARCHAR(25) NOT NULL,
  first_order_date DATE,
  last_order_date DATE,
  order_count BIGINT NOT NULL,
  lifetime_revenue DECIMAL(22,4) NOT NULL,
  avg_basket DECIMAL(18,4),
  as_of_date DATE NOT NULL,
  recency_days INTEGER,
  orders_last_6m BIGINT NOT NULL,
  orders_prev_6m BIGINT NOT NULL,
  frequency_trend BIGINT NOT NULL,
  is_at_risk INTEGER NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  PRIMARY KEY (customer_key)
)
DISTSTYLE KEY DISTKEY (customer_key)
COMPOUND SORTKEY (customer_key);

CREATE TEMP TABLE stage_dim_customer (
  customer_key BIGINT,
  customer_name VARCHAR(25),
  address VARCHAR(40),
  phone VARCHAR(15),
  account_balance DECIMAL(15,2),
  market_segment VARCHAR(10),
  nation_key BIGINT,
  nation_name VARCHAR(25),
  region_key BIGINT,
  region_name VARCHAR(25),
  first_order_date DATE,
  last_order_date DATE,
  order_count BIGINT,
  lifetime_revenue DECIMAL(22,4),
  avg_basket DECIMAL(18,4),
  as_of_date DATE,
  recency_days INTEGER,
  orders_last_6m BIGINT,
  orders_prev_6m BIGINT,
  frequency_trend BIGINT,
  is_at_risk INTEGER,
  updated_at TIMESTAMP
);

COPY stage_dim_customer
FROM 's3://assets/warehouse/manifests/gold/dim_customer/v7.manifest'
IAM_ROLE 'arn:aws:iam::123456789012:role/gladiator-warehouse-copy'
FORMAT AS PARQUET
MANIFEST;

MERGE INTO gold.dim_customer AS t
USING stage_dim_customer AS s
ON t.customer_key = s.customer_key
WHEN MATCHED THEN UPDATE SET customer_name = s.customer_name, address = s.address, phone = s.phone, account_balance = s.account_balance, market_segment = s.market_segment, nation_key = s.nation_key, nation_name = s.nation_name, region_key = s.region_key, region_name = s.region_name, first_order_date = s.first_order_date, last_order_date = s.last_order_date, order_count = s.order_count, lifetime_revenue = s.lifetime_revenue, avg_basket = s.avg_basket, as_of_date = s.as_of_date, recency_days = s.recency_days, orders_last_6m = s.orders_last_6m, orders_prev_6m = s.orders_prev_6m, frequency_trend = s.frequency_trend, is_at_risk = s.is_at_risk, updated_at = s.updated_at
WHEN NOT MATCHED THEN INSERT (customer_key, customer_name, address, phone, account_balance, market_segment, nation_key, nation_name, region_key, region_name, first_order_date, last_order_date, order_count, lifetime_revenue, avg_basket, as_of_date, recency_days, orders_last_6m, orders_prev_6m, frequency_trend, is_at_risk, updated_at)
VALUES (s.customer_key, s.customer_name, s.address, s.phone, s.account_balance, s.market_segment, s.nation_key, s.nation_name, s.region_key, s.region_name, s.first_order_date, s.last_order_date, s.order_count, s.lifetime_revenue, s.avg_basket, s.as_of_date, s.recency_days, s.orders_last_6m, s.orders_prev_6m, s.frequency_trend, s.is_at_risk, s.updated_at);

DELETE FROM gold.dim_customer
WHERE NOT EXISTS (
  SELECT 1 FROM stage_dim_customer AS s WHERE gold.dim_customer.customer_key = s.customer_key
);

DELETE FROM gold._load_ledger WHERE table_name = 'dim_customer';

INSERT INTO gold._load_ledger (table_name, delta_version, row_count, loaded_at)
SELECT 'dim_customer', 7, (SELECT COUNT(*) FROM gold.dim_customer), GETDATE();

DROP TABLE stage_dim_customer;

