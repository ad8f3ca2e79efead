//! The operators' endpoints, `/api/admin/...`: approve, suspend and
//! activate vendors, change where a vendor's email goes, and bring the notification topic's subscriptions in
//! line with the vendors table. Only logins in the pool's `admins` group
//! (the ID token's `cognito:groups`) may call them: no token is a 401, a
//! vendor's token a 403. Every action is logged with the operator's
//! identity (`admin action`).
//!
//! A vendor receives email only while active: activation subscribes its
//! email to the topic with the filter `{"vendor_id": ["<ID>"]}`, suspension
//! unsubscribes it. On the emulator the subscription delivers to the
//! vendor's mailbox queue instead (`Notifier::with_mailboxes`).

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use onboarding_aws::notify::{Notifier, SubscriptionChanges, WantedSubscription};
use onboarding_core::{VendorId, VendorStatus};
use onboarding_db::uploads::{self, Vendor};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::OperatorSession;
use crate::input::{self, Body, Path};
use crate::problem::{ApiError, ApiResult};

#[derive(Serialize)]
pub struct AdminVendor {
    vendor_id: VendorId,
    vendor_name: String,
    email: String,
    status: VendorStatus,
    /// Whether the topic has the vendor's subscription (with its filter).
    subscribed: bool,
}

#[derive(Serialize)]
pub struct VendorList {
    items: Vec<AdminVendor>,
}

#[derive(Serialize)]
pub struct VendorChange {
    vendor_id: VendorId,
    status: VendorStatus,
    /// The previous status.
    was: VendorStatus,
    subscription: SubscriptionChanges,
}

#[derive(Serialize)]
pub struct Reconciled {
    /// Whether anything changed.
    changed: bool,
    #[serde(flatten)]
    changes: SubscriptionChanges,
}

fn notifier(state: &AppState) -> Result<&Notifier, ApiError> {
    state
        .data()?
        .notifier
        .as_ref()
        .ok_or_else(|| ApiError::Unavailable("NOTIFICATION_TOPIC_ARN is not configured.".into()))
}

async fn vendor(state: &AppState, vendor_id: &VendorId) -> Result<Vendor, ApiError> {
    let pool = state.data()?.database.pool().await?;
    uploads::find_vendor(pool, vendor_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("There is no vendor {vendor_id}.")))
}

/// `GET /api/admin/vendors`
pub async fn list_vendors(
    operator: OperatorSession,
    State(state): State<Arc<AppState>>,
) -> ApiResult<Json<VendorList>> {
    let pool = state.data()?.database.pool().await?;
    let vendors = uploads::list_vendors(pool).await?;
    let subscribed: BTreeSet<VendorId> = notifier(&state)?
        .vendor_subscriptions()
        .await
        .map_err(ApiError::internal)?
        .into_iter()
        .filter_map(|s| s.vendor_id)
        .collect();
    tracing::info!(upload_id = "-", operator = %operator.operator, action = "list_vendors", "admin action");
    Ok(Json(VendorList {
        items: vendors
            .into_iter()
            .map(|v| AdminVendor {
                subscribed: subscribed.contains(&v.vendor_id),
                vendor_id: v.vendor_id,
                vendor_name: v.vendor_name,
                email: v.email,
                status: v.status,
            })
            .collect(),
    }))
}

/// `POST /api/admin/vendors/{vendor_id}/approve`: pending approval (or
/// already active) → active, and subscribed.
pub async fn approve(
    operator: OperatorSession,
    State(state): State<Arc<AppState>>,
    Path(vendor_id): Path<VendorId>,
) -> ApiResult<Json<VendorChange>> {
    let found = vendor(&state, &vendor_id).await?;
    if found.status == VendorStatus::Suspended {
        return Err(ApiError::Conflict(format!(
            "Vendor {vendor_id} is suspended; activate it instead."
        )));
    }
    change(&state, &operator, "approve", found, VendorStatus::Active).await
}

/// `POST /api/admin/vendors/{vendor_id}/activate`: suspended (or active)
/// → active, and subscribed.
pub async fn activate(
    operator: OperatorSession,
    State(state): State<Arc<AppState>>,
    Path(vendor_id): Path<VendorId>,
) -> ApiResult<Json<VendorChange>> {
    let found = vendor(&state, &vendor_id).await?;
    if found.status == VendorStatus::PendingApproval {
        return Err(ApiError::Conflict(format!(
            "Vendor {vendor_id} is awaiting approval; approve it instead."
        )));
    }
    change(&state, &operator, "activate", found, VendorStatus::Active).await
}

/// `POST /api/admin/vendors/{vendor_id}/suspend`: → suspended, and
/// unsubscribed. New uploads fail with a clear reason.
pub async fn suspend(
    operator: OperatorSession,
    State(state): State<Arc<AppState>>,
    Path(vendor_id): Path<VendorId>,
) -> ApiResult<Json<VendorChange>> {
    let found = vendor(&state, &vendor_id).await?;
    change(&state, &operator, "suspend", found, VendorStatus::Suspended).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailChangeRequest {
    email: String,
}

#[derive(Serialize)]
pub struct EmailChange {
    vendor_id: VendorId,
    email: String,
    /// The previous address.
    was: String,
    /// Whether the address changed (the same address again changes nothing).
    changed: bool,
    subscription: SubscriptionChanges,
}

/// `POST /api/admin/vendors/{vendor_id}/email`: where the vendor's email
/// goes from now on. An active vendor's subscription moves to the new
/// address (the old one is unsubscribed); a pending or suspended vendor has
/// none and gets one at the new address when activated. The vendor's login
/// (Cognito) is not changed. Idempotent.
pub async fn change_email(
    operator: OperatorSession,
    State(state): State<Arc<AppState>>,
    Path(vendor_id): Path<VendorId>,
    Body(request): Body<EmailChangeRequest>,
) -> ApiResult<Json<EmailChange>> {
    let email = input::email(&request.email)?;
    let found = vendor(&state, &vendor_id).await?;
    let notifier = notifier(&state)?;
    let pool = state.data()?.database.pool().await?;
    let changed = found.email != email;
    if changed && !uploads::set_vendor_email(pool, &vendor_id, &email).await? {
        return Err(ApiError::NotFound(format!(
            "There is no vendor {vendor_id}."
        )));
    }
    // The table first: were moving the subscription to fail, the next
    // attempt (or a reconcile) finishes it from the table.
    let subscription = if found.status.is_active() {
        notifier
            .ensure_vendor(&WantedSubscription {
                vendor_id: vendor_id.clone(),
                email: email.clone(),
            })
            .await
            .map_err(ApiError::internal)?
    } else {
        SubscriptionChanges::default()
    };
    tracing::info!(
        upload_id = "-",
        operator = %operator.operator,
        operator_sub = %operator.subject,
        action = "change_email",
        vendor_id = %vendor_id,
        changed,
        subscribed = ?subscription.subscribed,
        unsubscribed = ?subscription.unsubscribed,
        "admin action"
    );
    Ok(Json(EmailChange {
        vendor_id,
        email,
        was: found.email,
        changed,
        subscription,
    }))
}

async fn change(
    state: &AppState,
    operator: &OperatorSession,
    action: &str,
    found: Vendor,
    status: VendorStatus,
) -> ApiResult<Json<VendorChange>> {
    let notifier = notifier(state)?;
    let pool = state.data()?.database.pool().await?;
    // Suspending unsubscribes first and activating subscribes last, so a
    // failure half way never leaves an inactive vendor receiving email.
    let subscription = if status.is_active() {
        uploads::set_vendor_status(pool, &found.vendor_id, status).await?;
        notifier
            .ensure_vendor(&WantedSubscription {
                vendor_id: found.vendor_id.clone(),
                email: found.email.clone(),
            })
            .await
            .map_err(ApiError::internal)?
    } else {
        let changes = notifier
            .remove_vendor(&found.vendor_id, &found.email)
            .await
            .map_err(ApiError::internal)?;
        uploads::set_vendor_status(pool, &found.vendor_id, status).await?;
        changes
    };
    tracing::info!(
        upload_id = "-",
        operator = %operator.operator,
        operator_sub = %operator.subject,
        action,
        vendor_id = %found.vendor_id,
        was = %found.status,
        status = %status,
        subscribed = ?subscription.subscribed,
        unsubscribed = ?subscription.unsubscribed,
        "admin action"
    );
    Ok(Json(VendorChange {
        vendor_id: found.vendor_id,
        status,
        was: found.status,
        subscription,
    }))
}

/// `POST /api/admin/subscriptions/reconcile`: the topic's vendor
/// subscriptions brought in line with the vendors table.
pub async fn reconcile(
    operator: OperatorSession,
    State(state): State<Arc<AppState>>,
) -> ApiResult<Json<Reconciled>> {
    let notifier = notifier(&state)?;
    let pool = state.data()?.database.pool().await?;
    let wanted: Vec<WantedSubscription> = uploads::list_vendors(pool)
        .await?
        .into_iter()
        .filter(Vendor::is_active)
        .map(|v| WantedSubscription {
            vendor_id: v.vendor_id,
            email: v.email,
        })
        .collect();
    let changes = notifier
        .reconcile(&wanted)
        .await
        .map_err(ApiError::internal)?;
    tracing::info!(
        upload_id = "-",
        operator = %operator.operator,
        operator_sub = %operator.subject,
        action = "reconcile",
        subscribed = ?changes.subscribed,
        unsubscribed = ?changes.unsubscribed,
        filters_fixed = ?changes.filters_fixed,
        "admin action"
    );
    Ok(Json(Reconciled {
        changed: !changes.is_empty(),
        changes,
    }))
}
