-- Update mode (issue 15): an upload either creates products (the default,
-- the requirements' behaviour) or upserts them, updating the vendor's own
-- products. Expand only: new columns with defaults and a new table, so the
-- functions of the previous release keep working against this schema.

ALTER TABLE upload_history
    ADD COLUMN mode VARCHAR(10) NOT NULL DEFAULT 'create' CHECK (mode IN ('create', 'upsert')),
    -- The valid rows by what they did; created + updated + unchanged is
    -- valid_records once the validator of this release counts them.
    ADD COLUMN created_records INTEGER NOT NULL DEFAULT 0 CHECK (created_records >= 0),
    ADD COLUMN updated_records INTEGER NOT NULL DEFAULT 0 CHECK (updated_records >= 0),
    ADD COLUMN unchanged_records INTEGER NOT NULL DEFAULT 0 CHECK (unchanged_records >= 0);

-- Every valid row of an earlier upload created its product.
UPDATE upload_history SET created_records = valid_records WHERE valid_records > 0;

-- What a valid row did, decided in the same transaction as its claim, so a
-- redelivered row cannot be counted twice under any of the three.
ALTER TABLE row_outcomes
    ADD COLUMN change VARCHAR(10) CHECK (change IN ('created', 'updated', 'unchanged'));

-- One line per update of a product: what it was before and what it became,
-- so a vendor can see what an upsert changed. Written by a trigger, so every
-- update is recorded however many uploads race for the product.
CREATE TABLE product_history (
    history_id              BIGSERIAL     PRIMARY KEY,
    product_id              BIGINT        NOT NULL REFERENCES products (product_id) ON DELETE CASCADE,
    upload_id               VARCHAR(50)   NOT NULL REFERENCES upload_history (upload_id),
    source_row_number       INTEGER       NOT NULL,
    previous_price          NUMERIC(10,2) NOT NULL,
    price                   NUMERIC(10,2) NOT NULL,
    previous_stock_quantity INTEGER       NOT NULL,
    stock_quantity          INTEGER       NOT NULL,
    changed_at              TIMESTAMPTZ   NOT NULL DEFAULT clock_timestamp()
);

CREATE INDEX product_history_by_product ON product_history (product_id, history_id DESC);

CREATE FUNCTION record_product_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO product_history (product_id, upload_id, source_row_number, previous_price, price,
                                 previous_stock_quantity, stock_quantity)
    VALUES (NEW.product_id, NEW.upload_id, NEW.source_row_number, OLD.price, NEW.price,
            OLD.stock_quantity, NEW.stock_quantity);
    RETURN NULL;
END
$$;

CREATE TRIGGER products_history AFTER UPDATE ON products
    FOR EACH ROW EXECUTE FUNCTION record_product_change();

-- product-validator: an upsert updates the content of the vendor's own
-- products (never their vendor, SKU or id), and the trigger records it.
GRANT UPDATE (product_name, category, subcategory, description, brand, price, compare_at_price,
              stock_quantity, unit, weight_kg, dimensions_cm, image_url, upload_id,
              source_row_number, updated_at)
   ON products TO onboarding_validator;
GRANT UPDATE (change) ON row_outcomes TO onboarding_validator;
GRANT UPDATE (created_records, updated_records, unchanged_records) ON upload_history
   TO onboarding_validator;
GRANT INSERT ON product_history TO onboarding_validator;
GRANT USAGE ON SEQUENCE product_history_history_id_seq TO onboarding_validator;

-- csv-parser records the mode it read from the object.
GRANT UPDATE (mode) ON upload_history TO onboarding_parser;

-- vendor-api: a vendor reads its products' history.
GRANT SELECT ON product_history TO onboarding_api;
