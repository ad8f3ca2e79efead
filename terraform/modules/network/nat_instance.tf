# egress_mode = nat_instance: a t4g.nano running Amazon Linux 2023 with IP
# forwarding and iptables masquerading. No SSH: administer it with SSM Session
# Manager (the instance profile allows it).

locals {
  nat_instance_count = var.egress_mode == "nat_instance" ? local.nat_count : 0
  # Graviton families have a "g" after the generation digit: t4g, c7g, m7gd...
  nat_instance_arch = can(regex("^[a-z]+[0-9]+g[a-z]*\\.", var.nat_instance_type)) ? "arm64" : "x86_64"
}

# Graviton types are missing from a few older AZs.
data "aws_ec2_instance_type_offerings" "nat" {
  count = local.nat_instance_count > 0 ? 1 : 0

  location_type = "availability-zone"

  filter {
    name   = "instance-type"
    values = [var.nat_instance_type]
  }
}

data "aws_ssm_parameter" "al2023_ami" {
  count = local.nat_instance_count > 0 ? 1 : 0

  name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${local.nat_instance_arch}"
}

resource "aws_security_group" "nat" {
  count = local.nat_instance_count > 0 ? 1 : 0

  name        = "${var.name_prefix}-nat-instance"
  description = "NAT instance: HTTPS in from the private subnets, HTTPS out"
  vpc_id      = aws_vpc.this.id

  tags = { Name = "${var.name_prefix}-nat-instance" }
}

resource "aws_vpc_security_group_ingress_rule" "nat_from_private" {
  count = local.nat_instance_count > 0 ? 2 : 0

  security_group_id = aws_security_group.nat[0].id
  description       = "HTTPS from private subnet ${local.azs[count.index]}"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = aws_subnet.private[count.index].cidr_block
}

resource "aws_vpc_security_group_egress_rule" "nat_https" {
  count = local.nat_instance_count > 0 ? 1 : 0

  security_group_id = aws_security_group.nat[0].id
  description       = "HTTPS to AWS APIs and the OS package repositories"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

data "aws_iam_policy_document" "nat_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "nat" {
  count = local.nat_instance_count > 0 ? 1 : 0

  name               = "${var.name_prefix}-nat-instance"
  assume_role_policy = data.aws_iam_policy_document.nat_assume.json
}

resource "aws_iam_role_policy_attachment" "nat_ssm" {
  count = local.nat_instance_count > 0 ? 1 : 0

  role       = aws_iam_role.nat[0].name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_instance_profile" "nat" {
  count = local.nat_instance_count > 0 ? 1 : 0

  name = "${var.name_prefix}-nat-instance"
  role = aws_iam_role.nat[0].name
}

resource "aws_instance" "nat" {
  count = local.nat_instance_count

  ami                         = data.aws_ssm_parameter.al2023_ami[0].value
  instance_type               = var.nat_instance_type
  subnet_id                   = aws_subnet.public[count.index].id
  vpc_security_group_ids      = [aws_security_group.nat[0].id]
  iam_instance_profile        = aws_iam_instance_profile.nat[0].name
  associate_public_ip_address = true  # the NAT's internet-facing address
  source_dest_check           = false # forward packets that are not addressed to it
  ebs_optimized               = true
  monitoring                  = false # basic 5-minute metrics; the alarm uses StatusCheckFailed

  metadata_options {
    http_tokens   = "required" # IMDSv2 only
    http_endpoint = "enabled"
  }

  root_block_device {
    volume_type = "gp3"
    volume_size = 8
    encrypted   = true
  }

  user_data_replace_on_change = true
  user_data                   = <<-EOT
    #!/bin/bash
    set -euxo pipefail
    cat > /etc/sysctl.d/90-nat.conf <<'CONF'
    net.ipv4.ip_forward = 1
    CONF
    sysctl --system
    dnf install -y iptables-services
    systemctl enable --now iptables
    # The stock ruleset rejects forwarded packets; replace it with plain NAT.
    iface="$(ip -o -4 route show to default | awk '{print $5; exit}')"
    iptables -F FORWARD
    iptables -t nat -F POSTROUTING
    iptables -t nat -A POSTROUTING -o "$iface" -j MASQUERADE
    iptables-save > /etc/sysconfig/iptables
  EOT

  tags = { Name = "${var.name_prefix}-nat-${local.azs[count.index]}" }

  lifecycle {
    # A new AL2023 release would otherwise replace the NAT on the next apply.
    # Taint the instance to pick up a newer AMI deliberately.
    ignore_changes = [ami]

    precondition {
      condition     = contains(data.aws_ec2_instance_type_offerings.nat[0].locations, local.azs[count.index])
      error_message = "${var.nat_instance_type} is not offered in ${local.azs[count.index]}; set availability_zones or nat_instance_type."
    }
  }
}

resource "aws_route" "private_nat_instance" {
  count = local.nat_instance_count > 0 ? 2 : 0

  route_table_id         = aws_route_table.private[count.index].id
  destination_cidr_block = "0.0.0.0/0"
  network_interface_id   = aws_instance.nat[local.nat_index[count.index]].primary_network_interface_id
}
