CREATE TABLE IF NOT EXISTS gold.fact_sales (
  order_key BIGINT NOT NULL,
  line_number INTEGER NOT NULL,
  customer_key BIGINT NOT NULL,
  part_key BIGINT NOT NULL,
  supplier_key BIGINT NOT NULL,
  customer_nation_key BIGINT NOT NULL,
  supplier_nation_key BIGINT NOT NULL,
  order_date DATE NOT NULL,
  order_date_key INTEGER NOT NULL,
  ship_date DATE NOT NULL,
  ship_date_key INTEGER NOT NULL,
  commit_date DATE NOT NULL,
  commit_date_key INTEGER NOT NULL,
  receipt_date DATE NOT NULL,
  receipt_date_key INTEGER NOT NULL,
  quantity DECIMAL(15,2) NOT NULL,
  extended_price DECIMAL(15,2) NOT NULL,
  discount DECIMAL(15,2) NOT NULL,
  tax_rate DECIMAL(15,2) NOT NULL,
  net_revenue DECIMAL(18,4) NOT NULL,
  tax_amount DECIMAL(18,6) NOT NULL,
  ship_lag_days INTEGER NOT NULL,
  delivery_delay_days INTEGER NOT NULL,
  is_late INTEGER NOT NULL,
  return_flag VARCHAR(1) NOT NULL,
  line_status VARCHAR(1) NOT NULL,
  ship_mode VARCHAR(10) NOT NULL,
  ship_instruct VARCHAR(25) NOT NULL,
  order_status VARCHAR(1) NOT NULL,
  order_priority VARCHAR(15) NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  PRIMARY KEY (order_key, line_number)
)
DISTSTYLE KEY DISTKEY (order_key)
COMPOUND SORTKEY (order_date);

CREATE TEMP TABLE stage_fact_sales (
  order_key BIGINT,
  line_number INTEGER,
  customer_key BIGINT,
  part_key BIGINT,
  supplier_key BIGINT,
  customer_nation_key BIGINT,
  supplier_nation_key BIGINT,
  order_date DATE,
  order_date_key INTEGER,
  ship_date DATE,
  ship_date_key INTEGER,
  commit_date DATE,
  commit_date_key INTEGER,
  receipt_date DATE,
  receipt_date_key INTEGER,
  quantity DECIMAL(15,2),
  extended_price DECIMAL(15,2),
  discount DECIMAL(15,2),
  tax_rate DECIMAL(15,2),
  net_revenue DECIMAL(18,4),
  tax_amount DECIMAL(18,6),
  ship_lag_days INTEGER,
  delivery_delay_days INTEGER,
  is_late INTEGER,
  return_flag VARCHAR(1),
  line_status VARCHAR(1),
  ship_mode VARCHAR(10),
  ship_instruct VARCHAR(25),
  order_status VARCHAR(1),
  order_priority VARCHAR(15),
  updated_at TIMESTAMP
);

COPY stage_fact_sales
FROM 's3://assets/warehouse/manifests/gold/fact_sales/v7.manifest'
IAM_ROLE 'arn:aws:iam::123456789012:role/gladiator-warehouse-copy'
FORMAT AS PARQUET
MANIFEST;

MERGE INTO gold.fact_sales AS t
USING stage_fact_sales AS s
ON t.order_key = s.order_key AND t.line_number = s.line_number
WHEN MATCHED THEN UPDATE SET customer_key = s.customer_key, part_key = s.part_key, supplier_key = s.supplier_key, customer_nation_key = s.customer_nation_key, supplier_nation_key = s.supplier_nation_key, order_date = s.order_date, order_date_key = s.order_date_key, ship_date = s.ship_date, ship_date_key = s.ship_date_key, commit_date = s.commit_date, commit_date_key = s.commit_date_key, receipt_date = s.receipt_date, receipt_date_key = s.receipt_date_key, quantity = s.quantity, extended_price = s.extended_price, discount = s.discount, tax_rate = s.tax_rate, net_revenue = s.net_revenue, tax_amount = s.tax_amount, ship_lag_days = s.ship_lag_days, delivery_delay_days = s.delivery_delay_days, is_late = s.is_late, return_flag = s.return_flag, line_status = s.line_status, ship_mode = s.ship_mode, ship_instruct = s.ship_instruct, order_status = s.order_status, order_priority = s.order_priority, updated_at = s.updated_at
WHEN NOT MATCHED THEN INSERT (order_key, line_number, customer_key, part_key, supplier_key, customer_nation_key, supplier_nation_key, order_date, order_date_key, ship_date, ship_date_key, commit_date, commit_date_key, receipt_date, receipt_date_key, quantity, extended_price, discount, tax_rate, net_revenue, tax_amount, ship_lag_days, delivery_delay_days, is_late, return_flag, line_status, ship_mode, ship_instruct, order_status, order_priority, updated_at)
VALUES (s.order_key, s.line_number, s.customer_key, s.part_key, s.supplier_key, s.customer_nation_key, s.supplier_nation_key, s.order_date, s.order_date_key, s.ship_date, s.ship_date_key, s.commit_date, s.commit_date_key, s.receipt_date, s.receipt_date_key, s.quantity, s.extended_price, s.discount, s.tax_rate, s.net_revenue, s.tax_amount, s.ship_lag_days, s.delivery_delay_days, s.is_late, s.return_flag, s.line_status, s.ship_mode, s.ship_instruct, s.order_status, s.order_priority, s.updated_at);

DELETE FROM gold.fact_sales
WHERE NOT EXISTS (
  SELECT 1 FROM stage_fact_sales AS s WHERE gold.fact_sales.order_key = s.order_key AND gold.fact_sales.line_number = s.line_number
);

DELETE FROM gold._load_ledger WHERE table_name = 'fact_sales';

INSERT INTO gold._load_ledger (table_name, delta_version, row_count, loaded_at)
SELECT 'fact_sales', 7, (SELECT COUNT(*) FROM gold.fact_sales), GETDATE();

DROP TABLE stage_fact_sales;

