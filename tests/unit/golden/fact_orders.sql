CREATE TABLE IF NOT EXISTS gold.fact_orders (
  order_key BIGINT NOT NULL,
  customer_key BIGINT NOT NULL,
  customer_nation_key BIGINT NOT NULL,
  order_date DATE NOT NULL,
  order_date_key INTEGER NOT NULL,
  order_status VARCHAR(1) NOT NULL,
  order_priority VARCHAR(15) NOT NULL,
  clerk VARCHAR(15) NOT NULL,
  ship_priority INTEGER NOT NULL,
  total_price DECIMAL(15,2) NOT NULL,
  line_count BIGINT NOT NULL,
  total_quantity DECIMAL(22,2) NOT NULL,
  gross_revenue DECIMAL(22,2) NOT NULL,
  net_revenue DECIMAL(22,4) NOT NULL,
  tax_amount DECIMAL(22,6) NOT NULL,
  late_line_count BIGINT NOT NULL,
  returned_line_count BIGINT NOT NULL,
  first_ship_date DATE,
  last_receipt_date DATE,
  updated_at TIMESTAMP NOT NULL,
  PRIMARY KEY (order_key)
)
DISTSTYLE KEY DISTKEY (order_key)
COMPOUND SORTKEY (order_date);

CREATE TEMP TABLE stage_fact_orders (
  order_key BIGINT,
  customer_key BIGINT,
  customer_nation_key BIGINT,
  order_date DATE,
  order_date_key INTEGER,
  order_status VARCHAR(1),
  order_priority VARCHAR(15),
  clerk VARCHAR(15),
  ship_priority INTEGER,
  total_price DECIMAL(15,2),
  line_count BIGINT,
  total_quantity DECIMAL(22,2),
  gross_revenue DECIMAL(22,2),
  net_revenue DECIMAL(22,4),
  tax_amount DECIMAL(22,6),
  late_line_count BIGINT,
  returned_line_count BIGINT,
  first_ship_date DATE,
  last_receipt_date DATE,
  updated_at TIMESTAMP
);

COPY stage_fact_orders
FROM 's3://assets/warehouse/manifests/gold/fact_orders/v7.manifest'
IAM_ROLE 'arn:aws:iam::123456789012:role/gladiator-warehouse-copy'
FORMAT AS PARQUET
MANIFEST;

MERGE INTO gold.fact_orders AS t
USING stage_fact_orders AS s
ON t.order_key = s.order_key
WHEN MATCHED THEN UPDATE SET customer_key = s.customer_key, customer_nation_key = s.customer_nation_key, order_date = s.order_date, order_date_key = s.order_date_key, order_status = s.order_status, order_priority = s.order_priority, clerk = s.clerk, ship_priority = s.ship_priority, total_price = s.total_price, line_count = s.line_count, total_quantity = s.total_quantity, gross_revenue = s.gross_revenue, net_revenue = s.net_revenue, tax_amount = s.tax_amount, late_line_count = s.late_line_count, returned_line_count = s.returned_line_count, first_ship_date = s.first_ship_date, last_receipt_date = s.last_receipt_date, updated_at = s.updated_at
WHEN NOT MATCHED THEN INSERT (order_key, customer_key, customer_nation_key, order_date, order_date_key, order_status, order_priority, clerk, ship_priority, total_price, line_count, total_quantity, gross_revenue, net_revenue, tax_amount, late_line_count, returned_line_count, first_ship_date, last_receipt_date, updated_at)
VALUES (s.order_key, s.customer_key, s.customer_nation_key, s.order_date, s.order_date_key, s.order_status, s.order_priority, s.clerk, s.ship_priority, s.total_price, s.line_count, s.total_quantity, s.gross_revenue, s.net_revenue, s.tax_amount, s.late_line_count, s.returned_line_count, s.first_ship_date, s.last_receipt_date, s.updated_at);

DELETE FROM gold.fact_orders
WHERE NOT EXISTS (
  SELECT 1 FROM stage_fact_orders AS s WHERE gold.fact_orders.order_key = s.order_key
);

DELETE FROM gold._load_ledger WHERE table_name = 'fact_orders';

INSERT INTO gold._load_ledger (table_name, delta_version, row_count, loaded_at)
SELECT 'fact_orders', 7, (SELECT COUNT(*) FROM gold.fact_orders), GETDATE();

DROP TABLE stage_fact_orders;

