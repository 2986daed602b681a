//! A local EC2 API: moto's server (PyPI `moto[server]`, in the venv scripts/moto-venv.sh
//! makes) on a free 127.0.0.1 port, and boto3 to create instances, parameters and secrets
//! in it. Stops on `Drop`.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const INSTALL: &str = "run: bash scripts/moto-venv.sh (it makes ~/.cache/ferry-moto-venv)";

/// One moto server.
pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    python: PathBuf,
}

/// What boto3 reported for a created instance.
#[derive(Debug, Clone)]
pub struct Instance {
    pub id: String,
    pub private_ip: String,
    pub name: String,
}

impl Moto {
    pub fn start() -> Moto {
        let python = std::env::var_os("FERRY_MOTO_PYTHON")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                std::env::home_dir()
                    .unwrap_or_default()
                    .join(".cache/ferry-moto-venv/bin/python")
            });
        assert!(
            python.exists(),
            "{} is missing: {INSTALL}",
            python.display()
        );
        let server = python.with_file_name("moto_server");
        let port = crate::support::sshd::free_port("127.0.0.1");
        let child = Command::new(&server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}; {INSTALL}", server.display()));
        let moto = Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            python,
        };
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "moto_server did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        moto
    }

    /// Creates one instance per entry of `tags` in `region` (tag `Name` names it); the
    /// instances named in `terminate` are terminated afterwards.
    pub fn run_instances(
        &self,
        region: &str,
        tags: &[&[(&str, &str)]],
        terminate: &[&str],
    ) -> Vec<Instance> {
        let spec = serde_json::json!({
            "endpoint": self.endpoint,
            "region": region,
            "instances": tags.iter().map(|t| t.iter().map(|(k, v)| (k.to_string(), serde_json::json!(v))).collect::<serde_json::Map<_, _>>()).collect::<Vec<_>>(),
            "terminate": terminate,
        });
        let stdout = self.python(CREATE, &[&spec.to_string()]);
        let list: Vec<serde_json::Value> = serde_json::from_slice(&stdout).unwrap();
        list.iter()
            .map(|i| Instance {
                id: i["id"].as_str().unwrap().into(),
                private_ip: i["private_ip"].as_str().unwrap().into(),
                name: i["name"].as_str().unwrap_or("").into(),
            })
            .collect()
    }

    /// Runs `code` in Python with boto3 clients `ssm` and `sm` (Secrets Manager) for
    /// `region` of this server; fails the test if it fails.
    pub fn boto3(&self, region: &str, code: &str) {
        let script = format!(
            "import boto3\nkw = dict(region_name={region:?}, endpoint_url={:?}, \
             aws_access_key_id='testing', aws_secret_access_key='testing')\n\
             ssm = boto3.client('ssm', **kw)\nsm = boto3.client('secretsmanager', **kw)\n{code}",
            self.endpoint
        );
        self.python(&script, &[]);
    }

    /// The standard output of `python -c script args...`; fails the test if it fails.
    fn python(&self, script: &str, args: &[&str]) -> Vec<u8> {
        let out = Command::new(&self.python)
            .arg("-c")
            .arg(script)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "boto3 failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// boto3: run the instances, tag them, terminate some; print what was made as JSON.
const CREATE: &str = r#"
import json, sys, boto3
spec = json.loads(sys.argv[1])
ec2 = boto3.client("ec2", region_name=spec["region"], endpoint_url=spec["endpoint"],
                   aws_access_key_id="testing", aws_secret_access_key="testing")
ami = ec2.describe_images()["Images"][0]["ImageId"]
made = []
for tags in spec["instances"]:
    r = ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1, InstanceType="t3.micro",
        TagSpecifications=[{"ResourceType": "instance",
                            "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}])
    i = r["Instances"][0]
    made.append({"id": i["InstanceId"], "private_ip": i["PrivateIpAddress"],
                 "name": tags.get("Name", "")})
ids = [m["id"] for m in made if m["name"] in spec["terminate"]]
if ids:
    ec2.terminate_instances(InstanceIds=ids)
print(json.dumps(made))
"#;
