# One repository per image (vendor-auth runs the vendor-api's). Tags are immutable (a tag names exactly one
# build, so a Lambda version can always be traced to its image), every push is
# scanned, and only the last var.ecr_images_to_keep images are kept: rollback
# reaches back that far.

resource "aws_ecr_repository" "this" {
  for_each = local.images

  name                 = "${var.name_prefix}/${each.key}"
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  # AES256 (S3-managed) encryption at rest. See terraform/.checkov.yaml for
  # why not the KMS key.
  encryption_configuration {
    encryption_type = "AES256"
  }
}

resource "aws_ecr_lifecycle_policy" "this" {
  for_each = local.images

  repository = aws_ecr_repository.this[each.key].name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the last ${var.ecr_images_to_keep} images"
      selection = {
        tagStatus   = "any"
        countType   = "imageCountMoreThan"
        countNumber = var.ecr_images_to_keep
      }
      action = { type = "expire" }
    }]
  })
}

# Lambda pulls images with its service principal. Stating this here keeps
# Lambda from editing the repository policy itself on first deploy.
data "aws_iam_policy_document" "ecr_lambda_pull" {
  statement {
    sid     = "LambdaImageRetrieval"
    actions = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }

    condition {
      test     = "StringLike"
      variable = "aws:sourceArn"
      values   = ["arn:${data.aws_partition.current.partition}:lambda:${var.aws_region}:${data.aws_caller_identity.current.account_id}:function:${var.name_prefix}-*"]
    }
  }
}

resource "aws_ecr_repository_policy" "this" {
  for_each = local.images

  repository = aws_ecr_repository.this[each.key].name
  policy     = data.aws_iam_policy_document.ecr_lambda_pull.json
}
