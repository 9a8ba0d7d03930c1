//! The start of every function: tracing, then everything built once per cold start. A
//! failure there is logged with its `error_type` and reported to the Runtime API's
//! `/init/error`, so the invocation that triggered the cold start fails with e.g.
//! `Framewise.Config` instead of an anonymous `Runtime.ExitError`.

use std::future::Future;

use http::Uri;
use lambda_runtime_api_client::body::Body;
use lambda_runtime_api_client::{build_request, PooledClient};

use crate::env::Env;
use crate::error::FunctionError;

/// Host and port of the Lambda Runtime API, set by Lambda in every execution environment.
pub const RUNTIME_API: &str = "AWS_LAMBDA_RUNTIME_API";

/// Tracing as Lambda's advanced logging controls ask for (`AWS_LAMBDA_LOG_FORMAT`,
/// `AWS_LAMBDA_LOG_LEVEL`, else `RUST_LOG`, else INFO).
pub fn init_tracing() {
    lambda_runtime::tracing::init_default_subscriber();
}

/// Initialises tracing, then runs `build` over the process environment. On failure the
/// error is logged and reported to Lambda before it is returned (and `main` exits). Call it
/// once, first thing in `main`: the tracing subscriber is process-global.
pub async fn cold_start<T, F, Fut>(build: F) -> Result<T, lambda_runtime::Error>
where
    F: FnOnce(Env) -> Fut,
    Fut: Future<Output = Result<T, FunctionError>>,
{
    init_tracing();
    let env = Env::process();
    let runtime_api = env.optional(RUNTIME_API);
    match build(env).await {
        Ok(built) => Ok(built),
        Err(error) => {
            tracing::error!(error_type = error.error_type(), error = %error, "cold start failed");
            if let Some(runtime_api) = runtime_api {
                report_init_error(&runtime_api, &error).await;
            }
            Err(Box::new(error))
        }
    }
}

/// Posts `error` to `/init/error` of the Runtime API at `runtime_api` (`host:port`). A
/// failed report is logged only: the process exits with the error either way.
pub async fn report_init_error(runtime_api: &str, error: &FunctionError) {
    if let Err(report) = post_init_error(runtime_api, error).await {
        tracing::warn!(error = %report, "could not report the cold-start failure to Lambda");
    }
}

async fn post_init_error(
    runtime_api: &str,
    error: &FunctionError,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let base: Uri = format!("http://{runtime_api}").parse()?;
    let body = serde_json::json!({
        "errorType": error.error_type(),
        "errorMessage": error.to_string(),
    });
    let request = build_request()
        .method("POST")
        .uri("/2018-06-01/runtime/init/error")
        .header("lambda-runtime-function-error-type", error.error_type())
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))?;
    let response = PooledClient::builder()
        .with_endpoint(base)
        .build()
        .call(request)
        .await?;
    if !response.status().is_success() {
        return Err(format!("/init/error answered {}", response.status()).into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpListener;
    use std::thread::JoinHandle;

    use super::*;
    use crate::error::ConfigError;

    /// Accepts one request on a loopback port, answers 202 and returns the raw request.
    fn fake_runtime_api() -> (String, JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let address = listener.local_addr().expect("address").to_string();
        let received = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().expect("accept");
            let mut request = Vec::new();
            let mut buffer = [0u8; 4096];
            // The JSON body ends the request.
            while !request.ends_with(b"}") {
                let read = stream.read(&mut buffer).expect("read");
                if read == 0 {
                    break;
                }
                request.extend_from_slice(&buffer[..read]);
            }
            let answer = b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n";
            stream.write_all(answer).expect("answer");
            String::from_utf8_lossy(&request).into_owned()
        });
        (address, received)
    }

    #[tokio::test]
    async fn when_cold_start_fails_should_report_the_error_type_to_init_error() {
        let (address, received) = fake_runtime_api();
        let error = FunctionError::from(ConfigError::Missing {
            name: "FRAMEWISE_TABLE".to_string(),
        });

        report_init_error(&address, &error).await;

        let request = received.join().expect("request").to_lowercase();
        assert!(
            request.starts_with("post /2018-06-01/runtime/init/error "),
            "{request}"
        );
        assert!(
            request.contains("lambda-runtime-function-error-type: framewise.config"),
            "{request}"
        );
        assert!(
            request.contains("\"errortype\":\"framewise.config\""),
            "{request}"
        );
        assert!(request.contains("framewise_table must be set"), "{request}");
    }
}
