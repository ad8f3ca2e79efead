-- An operator changes where a vendor's email goes (POST
-- /api/admin/vendors/{vendor_id}/email): the admin API may now write the
-- address as well as the status, and still nothing else of the row.
GRANT UPDATE (email) ON vendors TO onboarding_api;
