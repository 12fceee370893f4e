-- 맑은숨 주식회사 (fictional) shop database, built by data/shop/build_shop_db.py.
-- Money is integer KRW; dates are ISO 8601 text.
CREATE TABLE shop_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE customers (
    customer_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    grade TEXT NOT NULL,
    region TEXT NOT NULL CHECK (region IN ('mainland', 'jeju', 'remote'))
);
CREATE TABLE products (
    sku TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('device', 'filter', 'accessory')),
    price_krw INTEGER NOT NULL CHECK (price_krw >= 0)
);
CREATE TABLE orders (
    order_id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(customer_id),
    ordered_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('결제완료', '상품준비중', '배송중', '배송완료', '취소')),
    shipping_fee_krw INTEGER NOT NULL,
    total_krw INTEGER NOT NULL,
    delivered_on TEXT
);
CREATE TABLE order_items (
    order_id TEXT NOT NULL REFERENCES orders(order_id),
    sku TEXT NOT NULL REFERENCES products(sku),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    unit_price_krw INTEGER NOT NULL,
    PRIMARY KEY (order_id, sku)
);
CREATE TABLE shipments (
    order_id TEXT PRIMARY KEY REFERENCES orders(order_id),
    carrier TEXT NOT NULL,
    tracking_no TEXT NOT NULL UNIQUE,
    shipped_on TEXT NOT NULL
);
CREATE TABLE shipment_events (
    tracking_no TEXT NOT NULL REFERENCES shipments(tracking_no),
    at TEXT NOT NULL,
    location TEXT NOT NULL,
    description TEXT NOT NULL
);
CREATE TABLE subscriptions (
    subscription_id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(customer_id),
    sku TEXT NOT NULL REFERENCES products(sku),
    cycle_months INTEGER NOT NULL CHECK (cycle_months IN (3, 6, 9, 12)),
    next_delivery_on TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'paused', 'cancelled')),
    paused_until TEXT,
    pauses_this_year INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE refund_requests (
    refund_id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id TEXT NOT NULL REFERENCES orders(order_id),
    customer_id TEXT NOT NULL REFERENCES customers(customer_id),
    kind TEXT NOT NULL CHECK (kind IN ('cancel', 'return')),
    reason_type TEXT NOT NULL,
    reason TEXT NOT NULL,
    return_fee_krw INTEGER NOT NULL,
    refund_krw INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('접수', '취소완료')),
    created_on TEXT NOT NULL
);
-- Every tool call, allowed or not, lands here (arguments stored verbatim as text).
CREATE TABLE audit_log (
    audit_id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    tool TEXT NOT NULL,
    arguments TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'refused', 'not_found', 'error')),
    detail TEXT NOT NULL
);
