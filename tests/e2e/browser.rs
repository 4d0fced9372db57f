//! Headless Chromium (Debian's `chromium`) driven over WebDriver (`chromedriver`), and the
//! processes the console tests run: each a child that is stopped when its guard drops.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

/// A child process, sent SIGTERM (then killed) when dropped; its stdout is collected.
pub struct Running {
    child: Child,
    out: Arc<Mutex<String>>,
}

impl Running {
    pub fn spawn(command: &mut Command) -> Running {
        let mut child = command
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
        let out = Arc::new(Mutex::new(String::new()));
        let stdout = child.stdout.take().unwrap();
        let sink = out.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let mut o = sink.lock().unwrap();
                o.push_str(&line);
                o.push('\n');
            }
        });
        Running { child, out }
    }

    pub fn stdout(&self) -> String {
        self.out.lock().unwrap().clone()
    }

    /// The first word after `marker` on a line of stdout, once it is printed.
    pub fn wait_for(&mut self, marker: &str, within: Duration) -> String {
        let start = Instant::now();
        loop {
            if let Some(word) = self.stdout().lines().find_map(|l| {
                l.split_once(marker)
                    .map(|(_, rest)| rest.split_whitespace().next().unwrap_or("").to_string())
            }) {
                return word;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "exited ({status}) before printing '{marker}':\n{}",
                    self.stdout()
                );
            }
            assert!(
                start.elapsed() < within,
                "no '{marker}' after {within:?}:\n{}",
                self.stdout()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(30) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// chromedriver and one headless Chromium session.
pub struct Browser {
    pub client: Client,
    _driver: Running,
    _profile: PathBuf,
    shots: PathBuf,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium with a new empty profile. Screenshots go
    /// to `$HANKO_SCREENSHOTS` when set (docs/console/ is made that way), else next to
    /// `profile`.
    pub async fn start(profile: &Path) -> Browser {
        for program in ["/usr/bin/chromium", "/usr/bin/chromedriver"] {
            assert!(
                Path::new(program).exists(),
                "{program} is missing: tools/test.sh installs Debian's chromium and chromium-driver"
            );
        }
        let port = free_port();
        let driver = Running::spawn(
            Command::new("/usr/bin/chromedriver")
                .arg(format!("--port={port}"))
                .stderr(Stdio::null()),
        );
        let caps = serde_json::json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--window-size=1280,1400",
                    format!("--user-data-dir={}", profile.join("chromium").display()),
                ],
            },
        });
        let caps = caps.as_object().unwrap().clone();
        let url = format!("http://127.0.0.1:{port}");
        let start = Instant::now();
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(c) => break c,
                Err(e) => {
                    assert!(
                        start.elapsed() < Duration::from_secs(30),
                        "chromedriver: {e}"
                    );
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        };
        // A relative folder is the workspace's (tests run in the package's folder).
        let shots = std::env::var_os("HANKO_SCREENSHOTS")
            .map(|d| Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(d))
            .unwrap_or_else(|| profile.join("screenshots"));
        std::fs::create_dir_all(&shots).unwrap();
        Browser {
            client,
            _driver: driver,
            _profile: profile.to_path_buf(),
            shots,
        }
    }

    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
    }

    /// The text of the first element matching `css`, waiting up to `within` for it. Live
    /// updates replace elements: one gone stale is looked for again.
    pub async fn text(&self, css: &str, within: Duration) -> String {
        let start = Instant::now();
        loop {
            let error = match self.client.find(Locator::Css(css)).await {
                Ok(e) => match e.text().await {
                    Ok(t) => return t,
                    Err(e) => e.to_string(),
                },
                Err(e) => e.to_string(),
            };
            if start.elapsed() > within {
                panic!(
                    "no '{css}' after {within:?}: {error}\nlive updates: {}\n{}",
                    self.live_state().await,
                    self.page_text().await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// What the page's script says of its live updates: offline or not, and when it last
    /// refreshed (for failure messages).
    pub async fn live_state(&self) -> String {
        self.client
            .execute(
                "return 'class=' + document.body.className + ' refreshed=' + document.body.getAttribute('data-refreshed') + ' live=' + !!document.querySelector('[data-live]');",
                vec![],
            )
            .await
            .map(|v| v.to_string())
            .unwrap_or_else(|e| e.to_string())
    }

    pub async fn all_texts(&self, css: &str) -> Vec<String> {
        for _ in 0..50 {
            let mut out = vec![];
            let mut stale = false;
            for e in self.client.find_all(Locator::Css(css)).await.unwrap() {
                match e.text().await {
                    Ok(t) => out.push(t),
                    Err(_) => stale = true,
                }
            }
            if !stale {
                return out;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("'{css}': elements kept going stale")
    }

    pub async fn page_text(&self) -> String {
        match self.client.find(Locator::Css("body")).await {
            Ok(b) => b.text().await.unwrap_or_default(),
            Err(e) => format!("(no page: {e})"),
        }
    }

    /// Types `text` into the field `css` (cleared first).
    pub async fn type_into(&self, css: &str, text: &str) {
        self.on_element(css, |e| async move {
            e.clear().await?;
            e.send_keys(text).await
        })
        .await
    }

    pub async fn click(&self, css: &str) {
        self.on_element(css, |e| async move { e.click().await })
            .await
    }

    /// Does `act` on the element `css`, looked for again while a live update replaces it.
    async fn on_element<F, Fut>(&self, css: &str, act: F)
    where
        F: Fn(fantoccini::elements::Element) -> Fut,
        Fut: std::future::Future<Output = Result<(), fantoccini::error::CmdError>>,
    {
        let mut last = String::new();
        for _ in 0..50 {
            match self.client.find(Locator::Css(css)).await {
                Ok(e) => match act(e).await {
                    Ok(()) => return,
                    Err(e) => last = e.to_string(),
                },
                Err(e) => last = e.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{css}: {last}\n{}", self.page_text().await)
    }

    /// Saves the page as `name`.png and checks it is a PNG.
    pub async fn shot(&self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        assert!(
            png.starts_with(b"\x89PNG"),
            "screenshot {name} is not a PNG"
        );
        std::fs::write(self.shots.join(format!("{name}.png")), png).unwrap();
    }

    /// The session cookie the browser holds for the console on `port`.
    pub async fn cookie(&self, port: u16) -> String {
        let name = format!("hanko_console_{port}");
        let cookies = self.client.get_all_cookies().await.unwrap();
        let c = cookies
            .iter()
            .find(|c| c.name() == name)
            .unwrap_or_else(|| panic!("no cookie {name}"));
        format!("{}={}", c.name(), c.value())
    }
}
