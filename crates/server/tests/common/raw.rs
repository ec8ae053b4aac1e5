//! A minimal raw PostgreSQL protocol client for tests that need exact bytes: malformed
//! messages, ReadyForQuery status, text-format parameters.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One backend message: type byte and body.
#[derive(Debug, Clone)]
pub struct Msg {
    pub tag: u8,
    pub body: Vec<u8>,
}

impl Msg {
    /// The value of an ErrorResponse field (`C` code, `M` message, `P` position ...).
    pub fn field(&self, code: u8) -> Option<String> {
        let mut rest = &self.body[..];
        while let Some((&c, tail)) = rest.split_first() {
            if c == 0 {
                break;
            }
            let end = tail.iter().position(|b| *b == 0)?;
            if c == code {
                return Some(String::from_utf8_lossy(&tail[..end]).into_owned());
            }
            rest = &tail[end + 1..];
        }
        None
    }
}

pub struct Raw {
    pub stream: TcpStream,
}

pub fn startup_packet(user: &str) -> Vec<u8> {
    startup_packet_with(user, &[])
}

/// A startup packet with extra parameters.
pub fn startup_packet_with(user: &str, extra: &[(&str, &str)]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&196_608u32.to_be_bytes());
    for (k, v) in [("user", user), ("database", "test")].iter().chain(extra) {
        body.extend_from_slice(k.as_bytes());
        body.push(0);
        body.extend_from_slice(v.as_bytes());
        body.push(0);
    }
    body.push(0);
    let mut p = ((body.len() + 4) as u32).to_be_bytes().to_vec();
    p.extend_from_slice(&body);
    p
}

pub fn message(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![tag];
    m.extend_from_slice(&((body.len() + 4) as u32).to_be_bytes());
    m.extend_from_slice(body);
    m
}

pub fn cstr(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}

impl Raw {
    pub async fn connect(addr: SocketAddr) -> Raw {
        Raw { stream: TcpStream::connect(addr).await.expect("tcp connect") }
    }

    /// Connects and completes a trust startup, returning the messages up to ReadyForQuery.
    pub async fn login(addr: SocketAddr) -> (Raw, Vec<Msg>) {
        let mut r = Raw::connect(addr).await;
        r.send(&startup_packet("raw")).await;
        let msgs = r.until_ready().await.expect("startup");
        (r, msgs)
    }

    pub async fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.expect("write");
    }

    /// Reads one message; None on EOF or after 10 s.
    pub async fn read(&mut self) -> Option<Msg> {
        let fut = async {
            let mut head = [0u8; 5];
            self.stream.read_exact(&mut head).await.ok()?;
            let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
            let mut body = vec![0; len.checked_sub(4)?];
            self.stream.read_exact(&mut body).await.ok()?;
            Some(Msg { tag: head[0], body })
        };
        tokio::time::timeout(Duration::from_secs(10), fut).await.ok().flatten()
    }

    /// Reads messages through the next ReadyForQuery (included); None if the server closed.
    pub async fn until_ready(&mut self) -> Option<Vec<Msg>> {
        let mut out = Vec::new();
        loop {
            let m = self.read().await?;
            let done = m.tag == b'Z';
            out.push(m);
            if done {
                return Some(out);
            }
        }
    }

    /// Runs a simple query; returns its messages and the ReadyForQuery status byte.
    pub async fn query(&mut self, sql: &str) -> (Vec<Msg>, u8) {
        self.send(&message(b'Q', &cstr(sql))).await;
        let msgs = self.until_ready().await.expect("query response");
        let status = msgs.last().map_or(0, |m| m.body[0]);
        (msgs, status)
    }
}

pub fn parse_msg(name: &str, sql: &str, oids: &[u32]) -> Vec<u8> {
    let mut b = cstr(name);
    b.extend(cstr(sql));
    b.extend((oids.len() as u16).to_be_bytes());
    for o in oids {
        b.extend(o.to_be_bytes());
    }
    message(b'P', &b)
}

pub fn bind_msg(
    portal: &str,
    stmt: &str,
    param_formats: &[i16],
    params: &[Option<&[u8]>],
    result_formats: &[i16],
) -> Vec<u8> {
    let mut b = cstr(portal);
    b.extend(cstr(stmt));
    b.extend((param_formats.len() as u16).to_be_bytes());
    for f in param_formats {
        b.extend(f.to_be_bytes());
    }
    b.extend((params.len() as u16).to_be_bytes());
    for p in params {
        match p {
            None => b.extend((-1i32).to_be_bytes()),
            Some(v) => {
                b.extend((v.len() as i32).to_be_bytes());
                b.extend_from_slice(v);
            }
        }
    }
    b.extend((result_formats.len() as u16).to_be_bytes());
    for f in result_formats {
        b.extend(f.to_be_bytes());
    }
    message(b'B', &b)
}

pub fn execute_msg(portal: &str, max_rows: i32) -> Vec<u8> {
    let mut b = cstr(portal);
    b.extend(max_rows.to_be_bytes());
    message(b'E', &b)
}

pub fn describe_msg(kind: u8, name: &str) -> Vec<u8> {
    let mut b = vec![kind];
    b.extend(cstr(name));
    message(b'D', &b)
}

pub fn sync_msg() -> Vec<u8> {
    message(b'S', &[])
}

/// The DataRow values (text format) of a message list.
pub fn text_rows(msgs: &[Msg]) -> Vec<Vec<Option<String>>> {
    msgs.iter()
        .filter(|m| m.tag == b'D')
        .map(|m| {
            let b = &m.body;
            let n = u16::from_be_bytes([b[0], b[1]]) as usize;
            let mut pos = 2;
            let mut row = Vec::new();
            for _ in 0..n {
                let len = i32::from_be_bytes([b[pos], b[pos + 1], b[pos + 2], b[pos + 3]]);
                pos += 4;
                if len < 0 {
                    row.push(None);
                } else {
                    let l = len as usize;
                    row.push(Some(String::from_utf8_lossy(&b[pos..pos + l]).into_owned()));
                    pos += l;
                }
            }
            row
        })
        .collect()
}
