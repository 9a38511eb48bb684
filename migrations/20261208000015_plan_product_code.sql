-- A usage plan's AWS Marketplace product code (UpdateUsagePlan /productCode),
-- stored and returned as AWS does.
ALTER TABLE usage_plans ADD COLUMN product_code TEXT;
