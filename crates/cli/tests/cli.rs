//! The `heliosdb-nano` binary end to end: exit statuses and psql-like output.

use std::io::Write;
use std::process::{Command, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_heliosdb-nano"))
}

#[test]
fn repl_commands_print_like_psql() {
    let out = bin()
        .args(["repl", "--memory", "-c", "CREATE TABLE t (id int, name text)", "-c"])
        .arg("INSERT INTO t VALUES (1, 'ada'), (20, NULL)")
        .args(["-c", "SELECT id, name FROM t ORDER BY id", "-c", "\\timing"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "CREATE TABLE\nINSERT 0 2\n id | name \n----+------\n  1 | ada\n 20 | \n(2 rows)\n\nTiming is on.\n"
    );
}

#[test]
fn scripts_from_stdin_stop_at_the_first_error() {
    let mut child = bin()
        .args(["repl", "--memory"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"SELECT 1 AS a,\n  2 AS b;\nSELECT * FROM missing;\nSELECT 3;\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), " a | b \n---+---\n 1 | 2\n(1 row)\n\n");
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("ERROR:  relation \"missing\" does not exist"));
}

#[test]
fn unopenable_data_dir_is_a_clear_error() {
    let file = std::env::temp_dir().join(format!("helios-cli-file-{}", std::process::id()));
    std::fs::write(&file, b"not a database").unwrap();
    let out =
        bin().args(["repl", "--data-dir"]).arg(&file).args(["-c", "SELECT 1"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .starts_with("heliosdb-nano: could not open the database: "));
    let _ = std::fs::remove_file(&file);
}

#[test]
fn start_refuses_trust_on_a_public_address() {
    let out = bin().args(["start", "--memory", "--listen", "0.0.0.0"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("refusing to listen on non-loopback address"));
    let out = bin().args(["start", "--memory", "--auth", "md5"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "a password is required");
}

#[test]
fn describe_meta_commands_use_the_catalog() {
    let out = bin()
        .args([
            "repl",
            "--memory",
            "-c",
            "CREATE TABLE pets (id int PRIMARY KEY, name text NOT NULL, \
             twice int GENERATED ALWAYS AS (id * 2) STORED)",
        ])
        .args(["-c", "\\dt", "-c", "\\d pets", "-c", "\\d nothere"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "\\d of a missing table is an error");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains(" public | pets | table"), "{stdout}");
    assert!(stdout.contains("Table \"public.pets\""), "{stdout}");
    assert!(stdout.contains(" id     | integer | not null |"), "{stdout}");
    assert!(stdout.contains(" name   | text    | not null |"), "{stdout}");
    assert!(
        stdout.contains(" twice  | integer |          | generated always as (id * 2) stored"),
        "{stdout}"
    );
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("Did not find any relation named \"nothere\"."));
}

#[test]
fn branch_meta_commands_list_and_switch_branches() {
    let out = bin()
        .args(["repl", "--memory"])
        .args(["-c", "CREATE TABLE t (id int)", "-c", "CREATE BRANCH dev"])
        .args(["-c", "\\branch dev", "-c", "INSERT INTO t VALUES (7)", "-c", "\\branch"])
        .args(["-c", "\\branch main", "-c", "SELECT count(*) FROM t", "-c", "\\branch dev"])
        .args(["-c", "SELECT id FROM t", "-c", "\\branches"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.starts_with(
            "CREATE TABLE\nCREATE BRANCH\nYou are now on branch \"dev\".\nINSERT 0 1\n\
             You are on branch \"dev\".\nYou are now on branch \"main\".\n count \n-------\n     0\n(1 row)\n\n\
             You are now on branch \"dev\".\n id \n----\n  7\n(1 row)\n\n"
        ),
        "{stdout}"
    );
    // \branches lists both branches (SHOW BRANCHES), dev with main as its parent.
    let listing = &stdout[stdout.rfind(" id \n").unwrap()..];
    assert!(listing.contains(" main "), "{listing}");
    assert!(listing.lines().any(|l| l.contains(" dev ") && l.contains("main")), "{listing}");
    assert!(listing.ends_with("(2 rows)\n\n"), "{listing}");

    let out = bin().args(["repl", "--memory", "-c", "\\branch nope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8(out.stderr).unwrap().contains("branch \"nope\" does not exist"),
        "an unknown branch is an error"
    );
}

#[test]
fn encryption_keys_come_from_a_file_a_passphrase_or_the_environment() {
    let root = std::env::temp_dir().join(format!("helios-cli-keys-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let run = |dir: &str, env: &[(&str, &str)], flags: &[&str], sql: &str| {
        let mut cmd = bin();
        cmd.args(["repl", "--data-dir"]).arg(root.join(dir)).args(flags).args(["-c", sql]);
        cmd.env_remove("HELIOSDB_ENCRYPTION_KEY");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    // A passphrase from the variable the flag names.
    let phrase = [("MY_PHRASE", "correct horse battery staple")];
    let flags = ["--encryption-passphrase-env", "MY_PHRASE"];
    assert!(run("p", &phrase, &flags, "CREATE TABLE t (a int)").status.success());
    assert!(run("p", &phrase, &flags, "SELECT * FROM t").status.success());
    let wrong = [("MY_PHRASE", "wrong")];
    assert_eq!(run("p", &wrong, &flags, "SELECT 1").status.code(), Some(1));
    assert_eq!(run("p", &[], &[], "SELECT 1").status.code(), Some(1), "opened without a key");
    let unset = run("p", &[], &flags, "SELECT 1");
    assert!(String::from_utf8_lossy(&unset.stderr).contains("\"MY_PHRASE\""));
    // A key in HELIOSDB_ENCRYPTION_KEY, and the same key from a file.
    let hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    let env = [("HELIOSDB_ENCRYPTION_KEY", hex)];
    assert!(run("k", &env, &[], "CREATE TABLE t (a int)").status.success());
    assert_eq!(run("k", &[], &[], "SELECT 1").status.code(), Some(1), "opened without a key");
    let key_file = root.join("key.hex");
    std::fs::write(&key_file, hex).unwrap();
    let file_flag = ["--encryption-key-file", key_file.to_str().unwrap()];
    assert!(run("k", &[], &file_flag, "SELECT * FROM t").status.success());
    let _ = std::fs::remove_dir_all(&root);
}
