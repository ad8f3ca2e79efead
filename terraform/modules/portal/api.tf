# The vendor API: an HTTP API (payload format 2.0) in front of the two
# functions of the API (docs/decisions-platform.md 21). The auth routes (sign-up,
# confirm, log-in, refresh, revoke, the signing keys: local.auth_routes, the
# deployment contract's AUTH_ROUTES) go to vendor-auth; everything else under
# /api, log-out included, goes to vendor-api (ANY /api/{proxy+}: API Gateway
# prefers the exact routes). Each route targets its function's `live` alias,
# like every other event source; moving the aliases is the deployment.
#
# CORS. Browsers use the API through CloudFront at <site>/api, the same origin
# as the pages, so CORS does not apply there. For the API Gateway URL used
# directly, CORS is limited to the site origin. With a custom domain the
# origin is known before anything is created and API Gateway answers CORS
# itself; with the distribution's own domain it is not (the distribution
# needs the API first), so the function answers CORS from SITE_ORIGIN,
# preflight OPTIONS included (the ANY route passes them through).

resource "aws_apigatewayv2_api" "vendor" {
  name          = "${var.name_prefix}-vendor-api"
  description   = "Vendor portal API (vendor-api function)"
  protocol_type = "HTTP"

  dynamic "cors_configuration" {
    for_each = var.site_domain_name == "" ? [] : ["https://${var.site_domain_name}"]
    content {
      allow_origins     = [cors_configuration.value]
      allow_credentials = true
      allow_methods     = ["GET", "POST", "OPTIONS"]
      allow_headers     = ["content-type"]
      max_age           = 600
    }
  }
}

resource "aws_apigatewayv2_integration" "vendor_api" {
  api_id                 = aws_apigatewayv2_api.vendor.id
  integration_type       = "AWS_PROXY"
  integration_method     = "POST"
  integration_uri        = var.api_function_alias_arn
  payload_format_version = "2.0"
  timeout_milliseconds   = (var.api_function_timeout_s + 1) * 1000
}

# The function checks every request itself (the session cookie's ID token,
# against the pool's JWKS); signup and login are public. An API Gateway JWT
# authorizer cannot read a token from a cookie (terraform/.checkov.yaml).
resource "aws_apigatewayv2_route" "api" {
  api_id             = aws_apigatewayv2_api.vendor.id
  route_key          = "ANY /api/{proxy+}"
  target             = "integrations/${aws_apigatewayv2_integration.vendor_api.id}"
  authorization_type = "NONE"
}

locals {
  # crates/onboarding-aws/src/contract.rs AUTH_ROUTES, under /api
  # (scripts/check_contract.py holds the two equal).
  auth_routes = toset([
    "POST /api/auth/signup",
    "POST /api/auth/confirm",
    "POST /api/auth/login",
    "POST /api/auth/refresh",
    "POST /api/auth/revoke",
    "GET /api/auth/jwks",
  ])
}

resource "aws_apigatewayv2_integration" "vendor_auth" {
  api_id                 = aws_apigatewayv2_api.vendor.id
  integration_type       = "AWS_PROXY"
  integration_method     = "POST"
  integration_uri        = var.auth_function_alias_arn
  payload_format_version = "2.0"
  timeout_milliseconds   = (var.auth_function_timeout_s + 1) * 1000
}

# Public by design: they are how a session starts (the function checks the
# refresh cookie itself on refresh and revoke).
resource "aws_apigatewayv2_route" "auth" {
  for_each = local.auth_routes

  api_id             = aws_apigatewayv2_api.vendor.id
  route_key          = each.key
  target             = "integrations/${aws_apigatewayv2_integration.vendor_auth.id}"
  authorization_type = "NONE"
}

resource "aws_cloudwatch_log_group" "api_access" {
  name              = "/aws/apigateway/${var.name_prefix}-vendor-api"
  retention_in_days = var.log_retention_days
}

resource "aws_apigatewayv2_stage" "default" {
  api_id      = aws_apigatewayv2_api.vendor.id
  name        = "$default"
  auto_deploy = true

  # Requests over the limits get 429 from API Gateway, before Lambda; keep
  # the rate near what the function's reserved concurrency can serve.
  default_route_settings {
    throttling_burst_limit   = var.api_throttling_burst
    throttling_rate_limit    = var.api_throttling_rate
    detailed_metrics_enabled = false # per-route metrics cost
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.api_access.arn
    format = jsonencode({
      requestId          = "$context.requestId"
      time               = "$context.requestTime"
      ip                 = "$context.identity.sourceIp"
      method             = "$context.httpMethod"
      path               = "$context.path"
      status             = "$context.status"
      responseLength     = "$context.responseLength"
      latencyMs          = "$context.responseLatency"
      integrationStatus  = "$context.integrationStatus"
      integrationLatency = "$context.integrationLatency"
      integrationError   = "$context.integrationErrorMessage"
      userAgent          = "$context.identity.userAgent"
    })
  }
}

resource "aws_lambda_permission" "api_invoke" {
  statement_id  = "AllowHttpApiInvoke"
  action        = "lambda:InvokeFunction"
  function_name = var.api_function_name
  qualifier     = var.api_function_alias_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.vendor.execution_arn}/*/*/api/*"
}

resource "aws_lambda_permission" "auth_invoke" {
  statement_id  = "AllowHttpApiInvoke"
  action        = "lambda:InvokeFunction"
  function_name = var.auth_function_name
  qualifier     = var.auth_function_alias_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.vendor.execution_arn}/*/*/api/auth/*"
}
