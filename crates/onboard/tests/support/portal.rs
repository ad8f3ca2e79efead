//! A vendor's browser against the local portal: the cookies the API sets,
//! sent back by hand (reqwest's cookie store would not send a Secure cookie
//! over http), redirects not followed, and the presigned POST to S3.

use std::time::{Duration, Instant};

use onboarding_devstack::env::keys;
use reqwest::header::{ACCEPT, CONTENT_TYPE, COOKIE, LOCATION, RETRY_AFTER, SET_COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::Harness;

/// The password of every seeded vendor's login on this stack.
pub fn demo_password(harness: &Harness) -> String {
    harness
        .stack
        .env()
        .require(keys::PORTAL_DEMO_PASSWORD)
        .unwrap()
        .to_string()
}

/// One answer of the API, whole.
pub struct Answer {
    pub status: StatusCode,
    pub content_type: Option<String>,
    pub location: Option<String>,
    pub retry_after: Option<String>,
    pub set_cookies: Vec<String>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// The value a `Set-Cookie` of the answer gives `name`.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.set_cookies.iter().find_map(|header| {
            let pair = header.split(';').next()?;
            let (key, value) = pair.split_once('=')?;
            (key == name).then(|| value.to_string())
        })
    }
}

pub struct Browser {
    pub origin: String,
    pub http: reqwest::Client,
    pub session: Option<String>,
    pub refresh: Option<String>,
}

impl Browser {
    pub fn new(harness: &Harness) -> Browser {
        Browser::at(harness.stack.env().require(keys::PORTAL_URL).unwrap())
    }

    /// A browser for the portal at `origin` (`http://127.0.0.1:8080`).
    pub fn at(origin: &str) -> Browser {
        Browser {
            origin: origin.to_string(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            session: None,
            refresh: None,
        }
    }

    /// A browser that presents `token` as its session.
    pub fn with_token(harness: &Harness, token: &str) -> Browser {
        let mut browser = Browser::new(harness);
        browser.session = Some(token.to_string());
        browser
    }

    /// The stack's operator login (in the `admins` group), by its ID token.
    pub async fn operator(harness: &Harness) -> Browser {
        let env = harness.stack.env();
        let token = onboarding_devstack::portal::operator_token(
            env.require(keys::AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER)
                .unwrap(),
            env.require(keys::COGNITO_CLIENT_ID).unwrap(),
            env.require(onboarding_devstack::portal::OPERATOR_EMAIL_KEY)
                .unwrap(),
            env.require(onboarding_devstack::portal::OPERATOR_PASSWORD_KEY)
                .unwrap(),
        )
        .await
        .unwrap();
        Browser::with_token(harness, &token)
    }

    /// Logged in as a seeded vendor (the stack's demo password).
    pub async fn logged_in(harness: &Harness, email: &str) -> Browser {
        let mut browser = Browser::new(harness);
        let (status, me) = browser.log_in(email, &demo_password(harness)).await;
        assert_eq!(status, StatusCode::OK, "{me}");
        browser
    }

    /// `path` is the whole path, `/api/...`; `html` asks as a page would.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        html: bool,
    ) -> Answer {
        let mut request = self.http.request(method, format!("{}{path}", self.origin));
        let mut cookies = Vec::new();
        if let Some(session) = &self.session {
            cookies.push(format!("onboard_session={session}"));
        }
        if let Some(refresh) = &self.refresh {
            cookies.push(format!("onboard_refresh={refresh}"));
        }
        if !cookies.is_empty() {
            request = request.header(COOKIE, cookies.join("; "));
        }
        if html {
            request = request.header(ACCEPT, "text/html");
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        Answer {
            status: response.status(),
            content_type: header(CONTENT_TYPE),
            location: header(LOCATION),
            retry_after: header(RETRY_AFTER),
            set_cookies: response
                .headers()
                .get_all(SET_COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok().map(str::to_string))
                .collect(),
            body: response.bytes().await.unwrap().to_vec(),
        }
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let answer = self.send(Method::GET, path, None, false).await;
        (answer.status, answer.json())
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let answer = self.send(Method::POST, path, Some(body), false).await;
        (answer.status, answer.json())
    }

    /// Logs in and keeps the cookies the API set.
    pub async fn log_in(&mut self, email: &str, password: &str) -> (StatusCode, Value) {
        let answer = self
            .send(
                Method::POST,
                "/api/auth/login",
                Some(json!({"email": email, "password": password})),
                false,
            )
            .await;
        self.session = answer.cookie("onboard_session").or(self.session.take());
        self.refresh = answer.cookie("onboard_refresh").or(self.refresh.take());
        (answer.status, answer.json())
    }

    /// Signs a new vendor up, confirms its email (moto takes any code) and
    /// logs it in, keeping the cookies; the sign-up's answer.
    pub async fn sign_up_and_log_in(
        &mut self,
        vendor_name: &str,
        email: &str,
        password: &str,
    ) -> Value {
        let (status, signed_up) = self
            .post(
                "/api/auth/signup",
                json!({"vendor_name": vendor_name, "email": email, "password": password}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{signed_up}");
        let (status, _) = self
            .post(
                "/api/auth/confirm",
                json!({"email": email, "code": "123456"}),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, logged_in) = self.log_in(email, password).await;
        assert_eq!(status, StatusCode::OK, "{logged_in}");
        assert_eq!(logged_in["vendor_id"], signed_up["vendor_id"]);
        signed_up
    }

    /// Posts the form of a presigned POST (`{url, fields}`) straight to S3,
    /// every field first and the file last, as the web app does.
    pub async fn post_form(
        &self,
        presigned: &Value,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> StatusCode {
        let mut form = reqwest::multipart::Form::new();
        for (name, value) in presigned["fields"].as_object().unwrap() {
            form = form.text(name.clone(), value.as_str().unwrap().to_string());
        }
        form = form.part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_string()),
        );
        self.http
            .post(presigned["url"].as_str().unwrap())
            .multipart(form)
            .send()
            .await
            .unwrap()
            .status()
    }

    /// The browser's upload: a presigned POST from the API, then the form to
    /// S3. Returns the object key.
    pub async fn upload(&self, file_name: &str, bytes: Vec<u8>) -> String {
        let (status, presigned) = self
            .post("/api/uploads", json!({ "file_name": file_name }))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{presigned}");
        let status = self.post_form(&presigned, file_name, bytes).await;
        assert!(status.is_success(), "presigned POST: {status}");
        presigned["key"].as_str().unwrap().to_string()
    }

    /// Polls the list until the newest upload of `file_name` has been told,
    /// and returns its details.
    pub async fn wait_for(&self, file_name: &str) -> Value {
        let started = Instant::now();
        loop {
            let (_, page) = self.get("/api/uploads?limit=5").await;
            if let Some(upload) = page["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|u| u["file_name"] == file_name)
            {
                let id = upload["upload_id"].as_str().unwrap();
                let (_, detail) = self.get(&format!("/api/uploads/{id}")).await;
                let told = detail["stages"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|s| s["name"] == "notified" && !s["finished_at"].is_null());
                if told {
                    return detail;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(180),
                "{file_name} never finished"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}
