//! A fake Hugging Face hub on 127.0.0.1: the API's file list and `resolve/` downloads
//! of repositories held in memory, answering as the real hub does (`X-Error-Code`,
//! gated files, ETags), and recording every request it gets.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

/// One repository: a commit and its files.
#[derive(Clone, Debug, Default)]
pub struct Repo {
    pub commit: String,
    pub files: BTreeMap<String, Vec<u8>>,
    /// Files answer 401 unless this Bearer token is sent (the file list stays public).
    pub gated_token: Option<String>,
    /// This file announces its full length and sends half of it.
    pub truncate: Option<String>,
    /// Leave `blobId` out of the file list: the fetcher must name blobs by ETag.
    pub hide_blob_ids: bool,
}

impl Repo {
    /// Every file of a model folder, at `commit`.
    pub fn from_folder(dir: &Path, commit: &str) -> Repo {
        let mut files = BTreeMap::new();
        collect(dir, dir, &mut files);
        Repo {
            commit: commit.into(),
            files,
            ..Repo::default()
        }
    }
}

fn collect(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
    for entry in std::fs::read_dir(dir).expect("read model folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, out);
        } else {
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.insert(rel, std::fs::read(&path).expect("read model file"));
        }
    }
}

/// A request the hub got.
#[derive(Clone, Debug)]
pub struct Seen {
    /// The path and query, as sent.
    pub target: String,
    pub authorization: Option<String>,
}

#[derive(Default)]
struct State {
    repos: BTreeMap<String, Repo>,
    seen: Vec<Seen>,
}

/// The running hub; it stops answering when the test process ends.
pub struct FakeHub {
    pub endpoint: String,
    state: Arc<Mutex<State>>,
}

impl FakeHub {
    pub fn start() -> FakeHub {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the fake hub");
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = shared.clone();
                std::thread::spawn(move || serve(stream, &state));
            }
        });
        FakeHub { endpoint, state }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn add(&self, id: &str, repo: Repo) {
        self.state().repos.insert(id.into(), repo);
    }

    pub fn change(&self, id: &str, change: impl FnOnce(&mut Repo)) {
        change(
            self.state()
                .repos
                .get_mut(id)
                .expect("a repository of this hub"),
        );
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.state().seen.clone()
    }

    pub fn forget_requests(&self) {
        self.state().seen.clear();
    }

    /// The files downloaded, as paths inside their repository, in order.
    pub fn file_requests(&self) -> Vec<String> {
        self.requests()
            .iter()
            .filter_map(|r| {
                let (_, rest) = r.target.split_once("/resolve/")?;
                let (_, path) = rest.split_once('/')?;
                Some(decode(path))
            })
            .collect()
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>) {
    let mut reader = BufReader::new(&stream);
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let target = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut authorization = None;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("authorization")
        {
            authorization = Some(value.trim().to_string());
        }
    }
    let answer = {
        let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
        state.seen.push(Seen {
            target: target.clone(),
            authorization: authorization.clone(),
        });
        answer(&state.repos, &target, authorization.as_deref())
    };
    let mut stream = stream;
    let mut head = format!(
        "HTTP/1.1 {}\r\nContent-Length: {}\r\nConnection: close\r\n",
        answer.status,
        answer.body.len()
    );
    for (name, value) in &answer.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let sent = if answer.truncated {
        &answer.body[..answer.body.len() / 2]
    } else {
        &answer.body[..]
    };
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(sent);
    let _ = stream.flush();
    let _ = stream.shutdown(std::net::Shutdown::Both);
}

struct Answer {
    status: &'static str,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    truncated: bool,
}

fn error(status: &'static str, code: &str) -> Answer {
    Answer {
        status,
        headers: vec![("X-Error-Code", code.into())],
        body: format!("{{\"error\": \"{code}\"}}").into_bytes(),
        truncated: false,
    }
}

fn answer(repos: &BTreeMap<String, Repo>, target: &str, authorization: Option<&str>) -> Answer {
    let path = target.split('?').next().unwrap_or("");
    if let Some(rest) = path.strip_prefix("/api/models/") {
        let Some((id, revision)) = rest.split_once("/revision/") else {
            return error("404 Not Found", "RepoNotFound");
        };
        let Some(repo) = repos.get(id) else {
            return error("404 Not Found", "RepoNotFound");
        };
        let revision = decode(revision);
        if revision != "main" && revision != repo.commit {
            return error("404 Not Found", "RevisionNotFound");
        }
        let siblings: Vec<serde_json::Value> = repo
            .files
            .iter()
            .map(|(name, bytes)| {
                let mut sibling = serde_json::json!({"rfilename": name, "size": bytes.len()});
                if !repo.hide_blob_ids {
                    sibling["blobId"] = blob_id(bytes).into();
                }
                sibling
            })
            .collect();
        let body = serde_json::json!({"id": id, "sha": repo.commit, "siblings": siblings});
        return Answer {
            status: "200 OK",
            headers: vec![("Content-Type", "application/json".into())],
            body: body.to_string().into_bytes(),
            truncated: false,
        };
    }
    let Some((id, rest)) = path.trim_start_matches('/').split_once("/resolve/") else {
        return error("404 Not Found", "RepoNotFound");
    };
    let Some(repo) = repos.get(id) else {
        return error("404 Not Found", "RepoNotFound");
    };
    let Some((commit, file)) = rest.split_once('/') else {
        return error("404 Not Found", "EntryNotFound");
    };
    if commit != repo.commit {
        return error("404 Not Found", "RevisionNotFound");
    }
    if let Some(token) = &repo.gated_token
        && authorization != Some(&format!("Bearer {token}"))
    {
        return error("401 Unauthorized", "GatedRepo");
    }
    let file = decode(file);
    let Some(bytes) = repo.files.get(&file) else {
        return error("404 Not Found", "EntryNotFound");
    };
    Answer {
        status: "200 OK",
        headers: vec![
            ("ETag", format!("\"{}\"", blob_id(bytes))),
            ("X-Repo-Commit", repo.commit.clone()),
        ],
        body: bytes.clone(),
        truncated: repo.truncate.as_deref() == Some(file.as_str()),
    }
}

/// A stand-in for the git blob id: FNV-1a of the content, in hex.
pub fn blob_id(bytes: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x100_0000_01b3);
    }
    format!("{hash:016x}")
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
