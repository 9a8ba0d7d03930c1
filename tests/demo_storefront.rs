//! End-to-end: `framewise serve --demo` hosts the demo storefront (embedded in the binary)
//! next to the API: the page at `/` and on client-side routes, its assets, the shopper
//! switcher's `/demo/shoppers` whose tokens the API accepts, the drawn frame pictures the
//! demo catalogue links to, and the API's JSON 404 for unknown `/v1/*` paths.

use framewise_integration_tests::{get_json, http_client, Server};
use serde_json::Value;

const DEMO: &[&str] = &[
    "--demo",
    "--styles",
    "120",
    "--customers",
    "60",
    "--days",
    "30",
    "--regenerate-every",
    "0",
];

async fn get(client: &reqwest::Client, url: &str) -> (u16, String, Vec<u8>) {
    let response = client.get(url).send().await.expect("GET failed");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let bytes = response.bytes().await.expect("body").to_vec();
    (status, content_type, bytes)
}

#[tokio::test(flavor = "multi_thread")]
async fn when_demo_serves_should_host_the_storefront_its_shoppers_and_the_api() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start(dir.path(), DEMO);
    let anonymous = http_client();

    let (status, content_type, page) = get(&anonymous, &server.url("/")).await;
    assert_eq!(status, 200);
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let page = String::from_utf8(page).expect("HTML is text");
    assert!(page.to_ascii_lowercase().contains("<html"), "{page}");
    let (status, _, deep) = get(&anonymous, &server.url("/product/st-0001")).await;
    assert_eq!(
        (status, String::from_utf8_lossy(&deep)),
        (200, page.clone().into())
    );
    // Every asset the page links to is served with its own type (the placeholder has none).
    for asset in page.split('"').filter(|s| s.starts_with("/assets/")) {
        let (status, content_type, _) = get(&anonymous, &server.url(asset)).await;
        assert_eq!(status, 200, "{asset}");
        assert!(
            !content_type.starts_with("text/html"),
            "{asset}: {content_type}"
        );
    }

    // The shopper switcher: a dozen demo shoppers, each with a name and a working token.
    let (status, demo) = get_json(&anonymous, &server.url("/demo/shoppers")).await;
    assert_eq!(status, 200, "{demo}");
    let shoppers = demo["shoppers"].as_array().cloned().unwrap_or_default();
    assert_eq!(shoppers.len(), 12, "{demo}");
    assert_eq!(shoppers[0]["customer_id"], "cu-00001");
    for shopper in &shoppers {
        let name = shopper["name"].as_str().unwrap_or_default();
        assert!(
            name.len() > 3 && !name.contains("cu-"),
            "a readable name: {shopper}"
        );
    }
    let first = &shoppers[0];
    let token = first["token"].as_str().expect("a token");
    let as_shopper = server.client_with(token);
    let own = server.url("/v1/customers/cu-00001/recommendations?limit=4");
    let (status, list) = get_json(&as_shopper, &own).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["items"].as_array().map(Vec::len), Some(4), "{list}");
    let other = server.url("/v1/customers/cu-00002/recommendations?limit=4");
    assert_eq!(get_json(&as_shopper, &other).await.0, 403);
    let admin = server.client_with(demo["admin_token"].as_str().expect("admin token"));
    assert_eq!(get_json(&admin, &server.url("/v1/metrics")).await.0, 200);

    // The demo catalogue's pictures are same-origin and drawn by the server.
    let item: &Value = &list["items"][0];
    let image = item["image_url"].as_str().expect("an image URL");
    assert!(image.starts_with("/v1/products/"), "{image}");
    let (status, content_type, svg) = get(&anonymous, &server.url(image)).await;
    assert_eq!((status, content_type.as_str()), (200, "image/svg+xml"));
    assert!(svg.starts_with(b"<svg"));
    let png = image.replace("image.svg", "image.png") + "&width=200";
    let (status, content_type, bytes) = get(&anonymous, &server.url(&png)).await;
    assert_eq!((status, content_type.as_str()), (200, "image/png"), "{png}");
    assert!(bytes.starts_with(b"\x89PNG"));

    // Unknown API paths stay the API's JSON 404, not the page.
    let (status, body) = get_json(&anonymous, &server.url("/v1/x")).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");
}
