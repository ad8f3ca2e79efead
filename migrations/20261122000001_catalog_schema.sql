-- The catalog schema: vendors, the category whitelist, products, the upload
-- audit trail, per-row outcomes and validation errors.
--
-- Every constraint here has a validation rule in front of it (crates/onboarding-core,
-- src/rules.rs), so that a row that passes validation is never rejected here.

CREATE TABLE vendors (
    vendor_id     VARCHAR(50)  PRIMARY KEY CHECK (vendor_id ~ '^[A-Za-z0-9_-]+$'),
    vendor_name   VARCHAR(200) NOT NULL,
    email         VARCHAR(320) NOT NULL,
    status        VARCHAR(20)  NOT NULL DEFAULT 'active'
                  CHECK (status IN ('active', 'suspended', 'pending_approval')),
    created_at    TIMESTAMPTZ  NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ  NOT NULL DEFAULT now()
);

CREATE TABLE categories (
    category_id   SERIAL       PRIMARY KEY,
    category_name VARCHAR(100) NOT NULL UNIQUE CHECK (btrim(category_name) <> ''),
    is_active     BOOLEAN      NOT NULL DEFAULT true,
    created_at    TIMESTAMPTZ  NOT NULL DEFAULT now()
);

-- One row per S3 object version. vendor_id has no foreign key on purpose:
-- uploads from unknown vendors are recorded too, as failed.
CREATE TABLE upload_history (
    upload_id         VARCHAR(50)   PRIMARY KEY,
    vendor_id         VARCHAR(50)   NOT NULL,
    file_name         TEXT          NOT NULL,
    s3_bucket         VARCHAR(63)   NOT NULL,
    s3_key            VARCHAR(1024) NOT NULL,
    s3_version_id     VARCHAR(1024) NOT NULL,
    -- The header cells as the vendor wrote them, for the fix file.
    source_columns    TEXT[]        NOT NULL DEFAULT '{}',
    total_records     INTEGER       CHECK (total_records >= 0),
    valid_records     INTEGER       NOT NULL DEFAULT 0 CHECK (valid_records >= 0),
    error_records     INTEGER       NOT NULL DEFAULT 0 CHECK (error_records >= 0),
    status            VARCHAR(20)   NOT NULL DEFAULT 'processing'
                      CHECK (status IN ('processing', 'completed', 'partial', 'failed')),
    failure_reason    TEXT,
    warnings          TEXT[]        NOT NULL DEFAULT '{}',
    error_file_s3_key VARCHAR(1024),
    fix_file_s3_key   VARCHAR(1024),
    upload_timestamp  TIMESTAMPTZ   NOT NULL DEFAULT now(),
    started_at        TIMESTAMPTZ   NOT NULL DEFAULT now(),
    parsed_at         TIMESTAMPTZ,
    validated_at      TIMESTAMPTZ,
    completed_at      TIMESTAMPTZ,
    notified_at       TIMESTAMPTZ,
    UNIQUE (s3_bucket, s3_key, s3_version_id),
    CHECK (total_records IS NULL OR valid_records + error_records <= total_records)
);

CREATE INDEX upload_history_by_vendor ON upload_history (vendor_id, upload_timestamp DESC);
CREATE INDEX upload_history_by_status ON upload_history (status, upload_timestamp DESC);
CREATE INDEX upload_history_by_time ON upload_history (upload_timestamp DESC);

CREATE TABLE products (
    product_id        BIGSERIAL     PRIMARY KEY,
    vendor_id         VARCHAR(50)   NOT NULL REFERENCES vendors (vendor_id),
    vendor_product_id VARCHAR(100)  NOT NULL CHECK (btrim(vendor_product_id) <> ''),
    product_name      VARCHAR(200)  NOT NULL CHECK (btrim(product_name) <> ''),
    category          VARCHAR(100)  NOT NULL REFERENCES categories (category_name) ON UPDATE CASCADE,
    subcategory       VARCHAR(100),
    description       VARCHAR(2000),
    sku               VARCHAR(100)  NOT NULL UNIQUE CHECK (btrim(sku) <> ''),
    brand             VARCHAR(100),
    price             NUMERIC(10,2) NOT NULL CHECK (price >= 0.01 AND price <= 999999.99),
    compare_at_price  NUMERIC(10,2) CHECK (compare_at_price IS NULL
                                           OR (compare_at_price >= price AND compare_at_price <= 999999.99)),
    stock_quantity    INTEGER       NOT NULL CHECK (stock_quantity BETWEEN 0 AND 1000000),
    unit              VARCHAR(50),
    weight_kg         NUMERIC(8,3)  CHECK (weight_kg IS NULL OR weight_kg > 0),
    dimensions_cm     VARCHAR(50)   CHECK (dimensions_cm IS NULL
        OR dimensions_cm ~ '^[0-9]+(\.[0-9]{1,2})?\s*[xX×]\s*[0-9]+(\.[0-9]{1,2})?\s*[xX×]\s*[0-9]+(\.[0-9]{1,2})?$'),
    image_url         VARCHAR(2048) CHECK (image_url IS NULL OR image_url ~* '^https?://[^\s]+$'),
    status            VARCHAR(20)   NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
    upload_id         VARCHAR(50)   NOT NULL REFERENCES upload_history (upload_id),
    source_row_number INTEGER       NOT NULL CHECK (source_row_number >= 1),
    created_at        TIMESTAMPTZ   NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ   NOT NULL DEFAULT now(),
    UNIQUE (vendor_id, vendor_product_id),
    UNIQUE (upload_id, source_row_number)
);

CREATE INDEX products_by_vendor ON products (vendor_id, created_at DESC);
CREATE INDEX products_by_category ON products (category);

-- The decision for each staged row. Its primary key is what makes a redelivered
-- row impossible to count twice: a row is decided once, in the same
-- transaction that inserts its product or its errors and bumps the counts.
CREATE TABLE row_outcomes (
    upload_id     VARCHAR(50) NOT NULL REFERENCES upload_history (upload_id) ON DELETE CASCADE,
    row_number    INTEGER     NOT NULL CHECK (row_number >= 1),
    outcome       VARCHAR(10) NOT NULL CHECK (outcome IN ('valid', 'invalid')),
    -- The vendor's cells in file order, kept for failed rows for the fix file.
    source_fields TEXT[],
    decided_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (upload_id, row_number)
);

CREATE TABLE validation_errors (
    error_id          BIGSERIAL    PRIMARY KEY,
    upload_id         VARCHAR(50)  NOT NULL REFERENCES upload_history (upload_id) ON DELETE CASCADE,
    row_number        INTEGER      NOT NULL CHECK (row_number >= 1),
    -- Position of the error within its row (report order).
    error_index       SMALLINT     NOT NULL CHECK (error_index >= 0),
    error_type        VARCHAR(50)  NOT NULL,
    field             VARCHAR(100),
    error_message     TEXT         NOT NULL,
    vendor_product_id TEXT,
    sku               TEXT,
    product_name      TEXT,
    price             TEXT,
    stock_quantity    TEXT,
    original_data     JSONB,
    created_at        TIMESTAMPTZ  NOT NULL DEFAULT now(),
    UNIQUE (upload_id, row_number, error_index)
);

CREATE INDEX validation_errors_by_type ON validation_errors (upload_id, error_type);
