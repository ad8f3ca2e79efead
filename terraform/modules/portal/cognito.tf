# Vendor identities. The e-mail address is the user name; self sign-up through
# the API (POST /api/auth/signup) sends a verification code by e-mail.
#
# custom:vendor_id binds a login to a vendor. It is readable by the app client
# but NOT writable: only the vendor-api (AdminUpdateUserAttributes, with its
# role) and operators (admin-create-user, scripts/create-vendor-login.sh) set
# it. If the client could write it, anyone could call Cognito's public SignUp
# or UpdateUserAttributes with the client id (it is public: it is in every
# token) and claim another vendor's uploads.

resource "aws_cognito_user_pool" "vendors" {
  name = "${var.name_prefix}-vendors"

  username_attributes      = ["email"]
  auto_verified_attributes = ["email"]
  deletion_protection      = var.deletion_protection ? "ACTIVE" : "INACTIVE"

  # LITE by default: free for the first 10,000 monthly active users. Threat
  # protection (the former "advanced security") needs the PLUS plan, billed
  # per MAU; the API limits abuse with API Gateway throttling instead.
  user_pool_tier = var.user_pool_tier

  username_configuration {
    case_sensitive = false
  }

  password_policy {
    minimum_length                   = 12
    require_lowercase                = true
    require_uppercase                = true
    require_numbers                  = true
    require_symbols                  = true
    temporary_password_validity_days = 7
  }

  account_recovery_setting {
    recovery_mechanism {
      name     = "verified_email"
      priority = 1
    }
  }

  verification_message_template {
    default_email_option = "CONFIRM_WITH_CODE"
    email_subject        = "Your vendor portal verification code"
    email_message        = "Your verification code is {####}."
  }

  # Cognito's own sender: 50 e-mails a day per account, enough for sign-ups
  # in staging. Production with many sign-ups: configure SES here.
  email_configuration {
    email_sending_account = "COGNITO_DEFAULT"
  }

  admin_create_user_config {
    allow_admin_create_user_only = false # vendors sign up themselves; approval is in the database
  }

  schema {
    name                     = "vendor_id"
    attribute_data_type      = "String"
    mutable                  = true # set after SignUp by AdminUpdateUserAttributes
    developer_only_attribute = false
    required                 = false

    string_attribute_constraints {
      min_length = 1
      max_length = 50 # vendor ids: [A-Za-z0-9_-]{1,50}
    }
  }

  # Cognito cannot change a pool's schema in place; adding attributes later
  # works, editing this one would need a new pool.
  lifecycle {
    ignore_changes = [schema]
  }
}

resource "aws_cognito_user_pool_client" "portal" {
  name         = "${var.name_prefix}-portal"
  user_pool_id = aws_cognito_user_pool.vendors.id

  # A public client: the API calls InitiateAuth with USER_PASSWORD_AUTH and
  # keeps the tokens in HttpOnly cookies; there is no secret to protect.
  generate_secret     = false
  explicit_auth_flows = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]

  prevent_user_existence_errors = "ENABLED"
  enable_token_revocation       = true
  auth_session_validity         = 3 # minutes

  id_token_validity      = 1
  access_token_validity  = 1
  refresh_token_validity = 30
  token_validity_units {
    id_token      = "hours"
    access_token  = "hours"
    refresh_token = "days"
  }

  # name: the vendor name given at sign-up, which the vendor's first request
  # to the data part registers it under (ID tokens carry what is readable).
  read_attributes  = ["email", "email_verified", "custom:vendor_id", "name"]
  write_attributes = ["email"] # not custom:vendor_id (see the top of this file)

  supported_identity_providers = ["COGNITO"]
}

# Operators: members may use the admin API (/api/admin: approve, suspend and
# activate vendors, reconcile their email subscriptions); the API checks the
# ID token's cognito:groups. Add an operator with
# `aws cognito-idp admin-add-user-to-group --group-name admins ...`.
resource "aws_cognito_user_group" "admins" {
  name         = "admins"
  user_pool_id = aws_cognito_user_pool.vendors.id
  description  = "Operators of the onboarding system (admin API)"
}
