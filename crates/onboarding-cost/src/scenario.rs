//! The designs the model prices and the scenarios it prices them in.

use std::fmt;

use serde::{Serialize, Serializer};

use crate::allowances::Free;
use crate::assumptions::Assumptions;

/// A closed set of options, each with the name the command line, the tables
/// and the JSON use, and a one-line description.
pub trait Choice: Copy + Eq + Send + Sync + 'static {
    /// Every option, in the order the help lists them.
    const ALL: &'static [Self];
    /// The option's name: kebab-case, as typed on the command line.
    fn name(self) -> &'static str;
    /// What the option means, in one line.
    fn description(self) -> &'static str;
}

/// Defines an enum of options and its [`Choice`] implementation from one
/// list of `Variant = "name": "description"`; the description is also the
/// variant's documentation, and the name its `Display` and JSON form.
macro_rules! choices {
    ($($(#[$meta:meta])* pub enum $kind:ident {
        $($variant:ident = $name:literal: $description:literal,)+
    })+) => {$(
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $kind {
            $(#[doc = $description] $variant,)+
        }

        impl $kind {
            /// The option's name and description.
            fn entry(self) -> (&'static str, &'static str) {
                match self {
                    $($kind::$variant => ($name, $description),)+
                }
            }
        }

        impl Choice for $kind {
            const ALL: &'static [Self] = &[$($kind::$variant),+];

            fn name(self) -> &'static str {
                self.entry().0
            }

            fn description(self) -> &'static str {
                self.entry().1
            }
        }

        impl fmt::Display for $kind {
            fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
                out.write_str(self.name())
            }
        }

        impl Serialize for $kind {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.name())
            }
        }
    )+};
}

choices! {
    /// How the functions reach SQS, SNS and Secrets Manager (terraform `egress_mode`).
    pub enum Egress {
        Ipv6 = "ipv6": "Dual-stack subnets and an egress-only internet gateway; the portal's Cognito calls from outside the VPC (terraform default)",
        NatInstance = "nat-instance": "One t4g.nano NAT instance with a public IPv4 address",
        NatGateway = "nat-gateway": "One managed NAT gateway with an Elastic IP",
        Endpoints = "endpoints": "Interface endpoints for sqs, sns, secretsmanager and (the portal) cognito-idp, logs and monitoring in one AZ",
    }

    /// The catalog database (terraform `database_engine`).
    pub enum Db {
        Rds = "rds": "RDS for PostgreSQL, db.t4g.micro, Single-AZ, 20 GB gp3 (terraform default)",
        AuroraServerless = "aurora-serverless": "Aurora PostgreSQL Serverless v2, 0-2 ACU, pausing after 5 idle minutes",
    }

    /// When in the month uploads arrive (random times within the window).
    pub enum Arrivals {
        AroundTheClock = "around-the-clock": "Spread over all 730 hours: the fewest overlaps, the most expensive case",
        BusinessHours = "business-hours": "Within 220 business hours (22 days × 10 h)",
    }

    /// The always-on alternative's compute.
    pub enum Worker {
        Fargate = "fargate": "ECS on Fargate, 0.25 vCPU / 0.5 GB, arm64, always running",
        Vm = "vm": "One t4g.small EC2 instance with 8 GB gp3",
    }
}

impl Egress {
    /// The egress of the Terraform defaults (`egress_mode`), the one
    /// `onboard cost` prices unless told otherwise.
    pub const TERRAFORM_DEFAULT: Egress = Egress::Ipv6;

    /// The interface endpoints of [`Egress::Endpoints`] (terraform
    /// modules/network and main.tf): the pipeline's three and the portal's
    /// (always priced): cognito-idp for the vendor-api's signing keys, logs
    /// and monitoring for the operator console's log and metric views.
    pub const INTERFACE_ENDPOINTS: [&str; 6] = [
        "sqs",
        "sns",
        "secretsmanager",
        "cognito-idp",
        "logs",
        "monitoring",
    ];

    /// Its name in Terraform's `egress_mode`.
    pub fn terraform_name(self) -> &'static str {
        match self {
            Egress::Ipv6 => "ipv6",
            Egress::NatInstance => "nat_instance",
            Egress::NatGateway => "nat_gateway",
            Egress::Endpoints => "interface_endpoints",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Design {
    /// The pipeline as provisioned by terraform/.
    Serverless { egress: Egress, db: Db },
    /// One always-running worker that takes S3 events from a queue and does
    /// all three functions' work, with the same RDS database, bucket, topic,
    /// key, secret and monitoring; it sits in a public subnet with a public
    /// IPv4 address instead of behind a NAT.
    AlwaysOn { worker: Worker },
}

impl Design {
    pub fn label(&self) -> String {
        match self {
            Design::Serverless { egress, db } => {
                format!("serverless, egress {egress}, database {db}")
            }
            Design::AlwaysOn {
                worker: Worker::Fargate,
            } => "always-on: Fargate 0.25 vCPU / 0.5 GB + RDS db.t4g.micro".into(),
            Design::AlwaysOn { worker: Worker::Vm } => {
                "always-on: EC2 t4g.small + RDS db.t4g.micro".into()
            }
        }
    }
}

/// Every serverless option, in the order the tables list them.
pub const SERVERLESS_OPTIONS: [Design; 8] = [
    Design::Serverless {
        egress: Egress::NatInstance,
        db: Db::Rds,
    },
    Design::Serverless {
        egress: Egress::NatInstance,
        db: Db::AuroraServerless,
    },
    Design::Serverless {
        egress: Egress::NatGateway,
        db: Db::Rds,
    },
    Design::Serverless {
        egress: Egress::NatGateway,
        db: Db::AuroraServerless,
    },
    Design::Serverless {
        egress: Egress::Endpoints,
        db: Db::Rds,
    },
    Design::Serverless {
        egress: Egress::Endpoints,
        db: Db::AuroraServerless,
    },
    Design::Serverless {
        egress: Egress::Ipv6,
        db: Db::Rds,
    },
    Design::Serverless {
        egress: Egress::Ipv6,
        db: Db::AuroraServerless,
    },
];

pub const ALWAYS_ON_OPTIONS: [Design; 2] = [
    Design::AlwaysOn {
        worker: Worker::Fargate,
    },
    Design::AlwaysOn { worker: Worker::Vm },
];

/// Everything a scenario holds besides its upload count and design: the
/// comparisons keep these and vary the other two.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Conditions {
    /// Product rows per upload.
    pub rows: u64,
    pub arrivals: Arrivals,
    pub assumptions: Assumptions,
    /// Whether AWS's always-free allowances are counted (the default).
    pub free: Free,
}

impl Conditions {
    /// Uploads of `rows` rows arriving around the clock, the default
    /// assumptions, the always-free allowances counted.
    pub fn new(rows: u64) -> Conditions {
        Conditions {
            rows,
            arrivals: Arrivals::AroundTheClock,
            assumptions: Assumptions::DEFAULT,
            free: Free(true),
        }
    }

    /// `uploads` uploads a month on `design` under these conditions.
    pub fn scenario(&self, uploads: u64, design: Design) -> Scenario {
        Scenario {
            uploads,
            design,
            conditions: *self,
        }
    }
}

/// A month of load on one design.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scenario {
    /// Uploads per month.
    pub uploads: u64,
    pub design: Design,
    pub conditions: Conditions,
}

impl Scenario {
    /// `uploads` uploads a month of `rows` rows on `design`, under the
    /// default [`Conditions`].
    pub fn new(uploads: u64, rows: u64, design: Design) -> Scenario {
        Conditions::new(rows).scenario(uploads, design)
    }

    pub fn with_arrivals(mut self, arrivals: Arrivals) -> Scenario {
        self.conditions.arrivals = arrivals;
        self
    }

    pub fn with_assumptions(mut self, assumptions: Assumptions) -> Scenario {
        self.conditions.assumptions = assumptions;
        self
    }

    pub fn with_free(mut self, free: Free) -> Scenario {
        self.conditions.free = free;
        self
    }
}
