//! The EC2 Query API's XML: a DescribeInstances page becomes one JSON object per instance,
//! named as Ansible's aws_ec2 plugin names host variables (boto3's names in snake_case:
//! `instance_id`, `private_ip_address`, `public_ip_address`, `state: {code, name}`,
//! `placement: {availability_zone, region}`, `tags` as a mapping, `security_groups`, ...),
//! with the reservation's `owner_id`, `requester_id` and `reservation_id`.

use quick_xml::events::Event;
use quick_xml::Reader;
use serde_json::{Map, Value as Json};

use super::error::XmlError;

/// An XML element, as a tree.
#[derive(Debug, Default)]
struct Element {
    name: String,
    text: String,
    children: Vec<Element>,
}

impl Element {
    fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }
    fn items(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter(|c| c.name == "item")
    }
}

fn parse(xml: &str) -> Result<Element, XmlError> {
    let mut reader = Reader::from_str(xml);
    let mut stack = vec![Element::default()];
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => stack.push(Element {
                name: e.local_name().as_ref().to_string(),
                ..Element::default()
            }),
            Ok(Event::Empty(e)) => {
                let el = Element {
                    name: e.local_name().as_ref().to_string(),
                    ..Element::default()
                };
                if let Some(top) = stack.last_mut() {
                    top.children.push(el);
                }
            }
            Ok(Event::Text(t)) => {
                let text = t.xml10_content();
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&text);
                }
            }
            Ok(Event::GeneralRef(r)) => {
                let text = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => {
                        let name: &str = r.as_ref();
                        quick_xml::escape::resolve_predefined_entity(name)
                            .unwrap_or_default()
                            .to_string()
                    }
                };
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&text);
                }
            }
            Ok(Event::End(_)) => {
                let done = stack.pop().ok_or(XmlError::Unbalanced)?;
                stack
                    .last_mut()
                    .ok_or(XmlError::Unbalanced)?
                    .children
                    .push(done);
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(source) => {
                let at = reader.error_position();
                return Err(XmlError::Syntax { at, source });
            }
        }
    }
    let mut root = stack.pop().ok_or(XmlError::Empty)?;
    root.children.pop().ok_or(XmlError::Empty)
}

/// One DescribeInstances page: the instances (in `region`) and the next page's token.
pub(crate) struct Page {
    pub instances: Vec<Json>,
    pub next_token: Option<String>,
}

/// Reads a DescribeInstances response.
pub(crate) fn instances(xml: &str, region: &str) -> Result<Page, XmlError> {
    let root = parse(xml)?;
    if root.name != "DescribeInstancesResponse" {
        return Err(XmlError::Root(root.name));
    }
    let mut out = Vec::new();
    for reservation in root
        .child("reservationSet")
        .into_iter()
        .flat_map(Element::items)
    {
        let field = |n: &str| reservation.child(n).map(|e| Json::from(e.text.trim()));
        for instance in reservation
            .child("instancesSet")
            .into_iter()
            .flat_map(Element::items)
        {
            let Json::Object(mut vars) = convert(instance, true) else {
                continue;
            };
            for (xml_name, key) in [
                ("ownerId", "owner_id"),
                ("requesterId", "requester_id"),
                ("reservationId", "reservation_id"),
            ] {
                if let Some(v) = field(xml_name) {
                    vars.insert(key.into(), v);
                }
            }
            vars.entry("tags")
                .or_insert_with(|| Json::Object(Map::new()));
            if let Some(Json::Object(p)) = vars.get_mut("placement") {
                p.insert("region".into(), region.into());
            }
            out.push(Json::Object(vars));
        }
    }
    let next_token = root
        .child("nextToken")
        .map(|e| e.text.trim().to_string())
        .filter(|t| !t.is_empty());
    Ok(Page {
        instances: out,
        next_token,
    })
}

/// An API error response: (code, message).
pub(crate) fn error(xml: &str) -> Option<(String, String)> {
    let root = parse(xml).ok()?;
    let err = root.child("Errors")?.child("Error")?;
    let text = |n: &str| err.child(n).map(|e| e.text.trim().to_string());
    Some((text("Code")?, text("Message").unwrap_or_default()))
}

/// XML names that boto3 (and so Ansible) names otherwise.
fn rename(name: &str, top: bool) -> String {
    let renamed = match name {
        "instanceState" => "state",
        "groupSet" if top => "securityGroups",
        "ipAddress" => "publicIpAddress",
        "dnsName" => "publicDnsName",
        "reason" => "stateTransitionReason",
        "blockDeviceMapping" => "blockDeviceMappings",
        "productCodes" => "productCodes",
        "privateIpAddressesSet" => "privateIpAddresses",
        "ipv6AddressesSet" => "ipv6Addresses",
        "networkInterfaceSet" => "networkInterfaces",
        other => other,
    };
    let renamed = match renamed.strip_suffix("Set") {
        Some(base) => format!("{base}s"),
        None => renamed.to_string(),
    };
    snake(&renamed)
}

fn snake(name: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev_lower = i > 0 && !chars[i - 1].is_ascii_uppercase();
            let next_lower = chars.get(i + 1).is_some_and(char::is_ascii_lowercase);
            if i > 0 && (prev_lower || next_lower) {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Leaves that boto3 returns as numbers.
const NUMBERS: &[&str] = &[
    "amiLaunchIndex",
    "code",
    "coreCount",
    "deviceIndex",
    "httpPutResponseHopLimit",
    "networkCardIndex",
    "threadsPerCore",
];

fn convert(el: &Element, top: bool) -> Json {
    if el.name == "tagSet" {
        let mut tags = Map::new();
        for item in el.items() {
            let text = |n: &str| item.child(n).map(|e| e.text.clone()).unwrap_or_default();
            tags.insert(text("key"), Json::from(text("value")));
        }
        return Json::Object(tags);
    }
    if el.children.is_empty() {
        let text = el.text.trim();
        if el.name.ends_with("Set") {
            return Json::Array(Vec::new());
        }
        return match text {
            "true" => Json::Bool(true),
            "false" => Json::Bool(false),
            t if NUMBERS.contains(&el.name.as_str()) => {
                t.parse::<i64>().map_or_else(|_| Json::from(t), Json::from)
            }
            t => Json::from(t),
        };
    }
    if el.children.iter().all(|c| c.name == "item") {
        return Json::Array(el.items().map(|i| convert(i, false)).collect());
    }
    let mut map = Map::new();
    for c in &el.children {
        let key = if c.name == "tagSet" {
            "tags".to_string()
        } else {
            rename(&c.name, top)
        };
        map.insert(key, convert(c, false));
    }
    Json::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>r-1</requestId>
  <reservationSet>
    <item>
      <reservationId>r-0abc</reservationId>
      <ownerId>123456789012</ownerId>
      <groupSet/>
      <instancesSet>
        <item>
          <instanceId>i-0123</instanceId>
          <imageId>ami-1</imageId>
          <instanceState><code>16</code><name>running</name></instanceState>
          <privateDnsName>ip-10-0-0-5.ec2.internal</privateDnsName>
          <dnsName></dnsName>
          <amiLaunchIndex>0</amiLaunchIndex>
          <instanceType>t3.micro</instanceType>
          <placement><availabilityZone>eu-west-1a</availabilityZone><tenancy>default</tenancy></placement>
          <privateIpAddress>10.0.0.5</privateIpAddress>
          <ipAddress>54.1.2.3</ipAddress>
          <groupSet><item><groupId>sg-1</groupId><groupName>web</groupName></item></groupSet>
          <tagSet>
            <item><key>Name</key><value>web-1</value></item>
            <item><key>Role</key><value>web &amp; api</value></item>
          </tagSet>
          <ebsOptimized>false</ebsOptimized>
        </item>
      </instancesSet>
    </item>
  </reservationSet>
  <nextToken>tok-2</nextToken>
</DescribeInstancesResponse>"#;

    #[test]
    fn instances_are_named_as_ansible_names_them() {
        let page = instances(PAGE, "eu-west-1").unwrap();
        assert_eq!(page.next_token.as_deref(), Some("tok-2"));
        let i = &page.instances[0];
        let cases = [
            ("/instance_id", serde_json::json!("i-0123")),
            ("/state", serde_json::json!({"code": 16, "name": "running"})),
            ("/private_ip_address", serde_json::json!("10.0.0.5")),
            ("/public_ip_address", serde_json::json!("54.1.2.3")),
            ("/public_dns_name", serde_json::json!("")),
            (
                "/private_dns_name",
                serde_json::json!("ip-10-0-0-5.ec2.internal"),
            ),
            ("/ami_launch_index", serde_json::json!(0)),
            ("/ebs_optimized", serde_json::json!(false)),
            (
                "/tags",
                serde_json::json!({"Name": "web-1", "Role": "web & api"}),
            ),
            (
                "/placement",
                serde_json::json!({"availability_zone": "eu-west-1a", "tenancy": "default", "region": "eu-west-1"}),
            ),
            (
                "/security_groups",
                serde_json::json!([{"group_id": "sg-1", "group_name": "web"}]),
            ),
            ("/owner_id", serde_json::json!("123456789012")),
            ("/reservation_id", serde_json::json!("r-0abc")),
        ];
        for (pointer, want) in cases {
            assert_eq!(i.pointer(pointer), Some(&want), "{pointer}");
        }
    }

    #[test]
    fn errors_give_code_and_message() {
        let xml = "<?xml version=\"1.0\"?><Response><Errors><Error><Code>AuthFailure</Code><Message>AWS was not able to validate the provided access credentials</Message></Error></Errors><RequestID>x</RequestID></Response>";
        assert_eq!(
            error(xml),
            Some((
                "AuthFailure".into(),
                "AWS was not able to validate the provided access credentials".into()
            ))
        );
        assert_eq!(error(PAGE), None);
    }

    #[test]
    fn snake_case_as_boto3() {
        for (camel, want) in [
            ("privateIpAddress", "private_ip_address"),
            ("instanceId", "instance_id"),
            ("ebsOptimized", "ebs_optimized"),
            ("vpcId", "vpc_id"),
        ] {
            assert_eq!(snake(camel), want);
        }
    }
}
