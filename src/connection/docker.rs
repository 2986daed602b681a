//! `ansible_connection: docker` (community.docker's `docker` connection): commands run in a
//! container through the `docker` CLI on the controller, `docker exec -i CONTAINER /bin/sh -c`.
//!
//! As community.docker reads them: the container is `ansible_docker_host`, else `ansible_host`,
//! else the inventory name; `-u` only when a user is named (`ansible_docker_user`,
//! `ansible_user`, the play's `remote_user`, `-u`), else the container's own user;
//! `ansible_docker_extra_args` go before `exec` (`-H unix:///…` to reach another engine);
//! `ansible_docker_working_dir` is `-w`. Files go in through `cat` (no SFTP in a container).

use super::{ConnError, ConnectSpec, Connection, Kind, LocalConnection};

/// `ansible_connection: docker`.
pub(crate) static KIND: Kind = Kind {
    names: &["docker", "community.docker.docker"],
    connect: |spec| Box::pin(connect(spec)),
};

/// Checks that the container runs (else the host is unreachable, in docker's words), then
/// hands out a connection that runs commands in it.
async fn connect(spec: &ConnectSpec) -> Result<Box<dyn Connection>, ConnError> {
    let target = Target::of(spec)?;
    let mut inspect = target.docker.clone();
    inspect.extend(["inspect", "--format", "{{.State.Running}}"].map(String::from));
    let probe = LocalConnection::through(&spec.name, inspect);
    let out = probe.exec(&target.container).await?;
    if out.rc != 0 || out.stdout.trim() != "true" {
        let said = format!("{}{}", out.stderr.trim(), out.stdout.trim());
        return Err(ConnError::Container {
            host: spec.name.clone(),
            container: target.container,
            message: if out.rc == 0 {
                "it is not running".to_owned()
            } else {
                said
            },
        });
    }
    Ok(Box::new(target.connection(spec)))
}

/// Which container, and the `docker` command line that reaches its engine.
struct Target {
    docker: Vec<String>,
    container: String,
    exec_options: Vec<String>,
}

impl Target {
    fn of(spec: &ConnectSpec) -> Result<Self, ConnError> {
        let setting = |name: &str| spec.kind_vars.get(name).filter(|v| !v.is_empty());
        let mut docker = vec![setting("path").map_or("docker", |p| p.as_str()).to_owned()];
        if let Some(extra) = setting("extra_args") {
            let words = shlex::split(extra).ok_or_else(|| ConnError::Unsupported {
                host: spec.name.clone(),
                message: format!("ansible_docker_extra_args is not valid shell words: {extra}"),
            })?;
            docker.extend(words);
        }
        let mut exec_options = Vec::new();
        if let Some(user) = setting("user").or(spec.user_given.as_ref()) {
            exec_options.extend(["-u".to_owned(), user.clone()]);
        }
        if let Some(dir) = setting("working_dir") {
            exec_options.extend(["-w".to_owned(), dir.clone()]);
        }
        Ok(Target {
            docker,
            container: setting("host").unwrap_or(&spec.address).clone(),
            exec_options,
        })
    }

    /// `docker … exec -i [-u USER] [-w DIR] CONTAINER /bin/sh -c`.
    fn connection(self, spec: &ConnectSpec) -> LocalConnection {
        let mut program = self.docker;
        program.extend(["exec".to_owned(), "-i".to_owned()]);
        program.extend(self.exec_options);
        program.extend([self.container, "/bin/sh".to_owned(), "-c".to_owned()]);
        LocalConnection::through(&spec.name, program)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn program(vars: &[(&str, &str)], user: Option<&str>) -> String {
        let mut spec = ConnectSpec::new("web");
        spec.connection = "docker".into();
        spec.user_given = user.map(String::from);
        for (k, v) in vars {
            spec.kind_vars.insert(k.to_string(), v.to_string());
        }
        format!("{:?}", Target::of(&spec).unwrap().connection(&spec))
    }

    #[test]
    fn the_docker_exec_line_follows_the_host_variables() {
        let plain = program(&[], None);
        assert!(
            plain.contains(r#"["docker", "exec", "-i", "web", "/bin/sh", "-c"]"#),
            "{plain}"
        );
        let all = program(
            &[
                ("host", "app-1"),
                ("extra_args", "-H 'unix:///tmp/d.sock'"),
                ("working_dir", "/srv"),
            ],
            Some("www"),
        );
        assert!(
            all.contains(r#"["docker", "-H", "unix:///tmp/d.sock", "exec", "-i", "-u", "www", "-w", "/srv", "app-1", "/bin/sh", "-c"]"#),
            "{all}"
        );
    }
}
