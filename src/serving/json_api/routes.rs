//! The JSON API's routes, read from the `google.api.http` annotations of the proto's methods
//! at start-up: the proto is the one place a path is written. A path template is what
//! `google/api/http.proto` describes, in the part this API uses: literal segments, `{field}`
//! variables standing for one segment, and a `:verb` at the end (`/v1/jobs/{id}:cancel`).

use http::Method;
use http::uri::PathAndQuery;
use prost_reflect::{DescriptorPool, MethodDescriptor, Value};

/// Why the annotations could not be made into routes (a defect of the proto, found at start).
#[derive(Debug, thiserror::Error)]
pub enum RouteError {
    /// The descriptors lack `google.api.http` or the service.
    #[error("the API's descriptors lack {0}")]
    Missing(&'static str),
    /// A method has no HTTP rule: every method must be reachable as JSON.
    #[error("{0} has no google.api.http annotation")]
    Unannotated(String),
    /// A rule's path is not a template this server understands.
    #[error("{method}: path template {template:?}: {why}")]
    Template {
        /// The method.
        method: String,
        /// Its template.
        template: String,
        /// What is wrong with it.
        why: &'static str,
    },
}

/// Where a method's request message comes from in an HTTP request, besides the path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyRule {
    /// No body: the fields not in the path come from the query string.
    None,
    /// `body: "*"`: the body is the request message (fields in the path set apart).
    Whole,
}

/// One method reachable as JSON.
#[derive(Debug, Clone)]
pub struct Route {
    /// The HTTP method.
    pub verb: Method,
    /// The path template.
    template: Template,
    /// Where the request message comes from.
    pub body: BodyRule,
    /// The gRPC method it stands for.
    pub method: MethodDescriptor,
    /// Where the method's gRPC calls go.
    pub grpc_path: PathAndQuery,
}

impl Route {
    /// The template as written in the proto, for messages.
    pub fn template(&self) -> &str {
        &self.template.written
    }
}

/// A parsed path template.
#[derive(Debug, Clone)]
struct Template {
    written: String,
    segments: Vec<Segment>,
    verb: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    /// A field of the request message, one path segment.
    Field(String),
}

/// What a request's method and path found.
#[derive(Debug)]
pub enum Found<'a> {
    /// A route, with the path's variables (field name, percent-decoded value).
    Route(&'a Route, Vec<(String, String)>),
    /// The path exists, but not for this HTTP method: these are the ones it has.
    OtherMethods(Vec<Method>),
    /// No route has this path.
    Nothing,
}

/// Every route of `service` in `pool`, in the proto's order.
pub fn routes(pool: &DescriptorPool, service: &str) -> Result<Vec<Route>, RouteError> {
    let http = pool
        .get_extension_by_name("google.api.http")
        .ok_or(RouteError::Missing("google.api.http"))?;
    let service = pool
        .get_service_by_name(service)
        .ok_or(RouteError::Missing("the service"))?;
    let mut routes = Vec::new();
    for method in service.methods() {
        let options = method.options();
        if !options.has_extension(&http) {
            return Err(RouteError::Unannotated(method.full_name().to_owned()));
        }
        let rule = options.get_extension(&http);
        let Value::Message(rule) = rule.as_ref() else {
            return Err(RouteError::Unannotated(method.full_name().to_owned()));
        };
        let text = |name: &str| match rule.get_field_by_name(name).as_deref() {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            _ => None,
        };
        let Some((verb, path)) = [
            (Method::GET, "get"),
            (Method::POST, "post"),
            (Method::PUT, "put"),
            (Method::DELETE, "delete"),
            (Method::PATCH, "patch"),
        ]
        .into_iter()
        .find_map(|(verb, field)| Some((verb, text(field)?))) else {
            return Err(RouteError::Unannotated(method.full_name().to_owned()));
        };
        let template = Template::parse(&path).map_err(|why| RouteError::Template {
            method: method.full_name().to_owned(),
            template: path.clone(),
            why,
        })?;
        for segment in &template.segments {
            if let Segment::Field(field) = segment
                && method.input().get_field_by_name(field).is_none()
            {
                return Err(RouteError::Template {
                    method: method.full_name().to_owned(),
                    template: path,
                    why: "a variable names no field of the request",
                });
            }
        }
        let body = match text("body").as_deref() {
            None => BodyRule::None,
            Some("*") => BodyRule::Whole,
            Some(_) => {
                return Err(RouteError::Template {
                    method: method.full_name().to_owned(),
                    template: path,
                    why: "only body \"*\" or none is served",
                });
            }
        };
        let grpc_path = super::channel::path_of(&method).map_err(|_| RouteError::Template {
            method: method.full_name().to_owned(),
            template: path,
            why: "the method's gRPC path is not a URI path",
        })?;
        routes.push(Route {
            verb,
            template,
            body,
            method,
            grpc_path,
        });
    }
    Ok(routes)
}

/// The route for `verb` and `path` among `routes`.
pub fn find<'a>(routes: &'a [Route], verb: &Method, path: &str) -> Found<'a> {
    let mut others = Vec::new();
    for route in routes {
        let Some(variables) = route.template.matches(path) else {
            continue;
        };
        // HEAD is GET without the body, as HTTP has it.
        if route.verb == *verb || (route.verb == Method::GET && verb == Method::HEAD) {
            return Found::Route(route, variables);
        }
        others.push(route.verb.clone());
    }
    if others.is_empty() {
        Found::Nothing
    } else {
        Found::OtherMethods(others)
    }
}

impl Template {
    fn parse(written: &str) -> Result<Template, &'static str> {
        let rest = written
            .strip_prefix('/')
            .ok_or("it does not start with /")?;
        let (rest, verb) = split_verb(rest);
        let segments = rest
            .split('/')
            .map(|segment| {
                if segment.is_empty() {
                    return Err("an empty segment");
                }
                match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(field) if !field.is_empty() && !field.contains(['=', '*', '.']) => {
                        Ok(Segment::Field(field.to_owned()))
                    }
                    Some(_) => Err("only {field} variables are served"),
                    None if segment.contains(['{', '}', '*']) => {
                        Err("only {field} variables are served")
                    }
                    None => Ok(Segment::Literal(segment.to_owned())),
                }
            })
            .collect::<Result<_, _>>()?;
        Ok(Template {
            written: written.to_owned(),
            segments,
            verb: verb.map(str::to_owned),
        })
    }

    /// The path's variables when `path` fits this template.
    fn matches(&self, path: &str) -> Option<Vec<(String, String)>> {
        let (rest, verb) = split_verb(path.strip_prefix('/')?);
        if verb != self.verb.as_deref() {
            return None;
        }
        let parts: Vec<&str> = rest.split('/').collect();
        if parts.len() != self.segments.len() {
            return None;
        }
        let mut variables = Vec::new();
        for (segment, part) in self.segments.iter().zip(parts) {
            match segment {
                Segment::Literal(literal) if literal == part => {}
                Segment::Literal(_) => return None,
                Segment::Field(field) => {
                    let value = percent_encoding::percent_decode_str(part)
                        .decode_utf8()
                        .ok()?;
                    if value.is_empty() {
                        return None;
                    }
                    variables.push((field.clone(), value.into_owned()));
                }
            }
        }
        Some(variables)
    }
}

/// Splits `a/b:verb` into `a/b` and `verb`; a `:` before the last `/` is not a verb.
fn split_verb(path: &str) -> (&str, Option<&str>) {
    match path.rfind(':') {
        Some(colon) if !path[colon..].contains('/') => (&path[..colon], Some(&path[colon + 1..])),
        _ => (path, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool() -> &'static DescriptorPool {
        crate::pb::descriptor_pool().expect("the API's descriptors load")
    }

    #[test]
    fn every_method_of_the_service_has_a_route() {
        let routes = routes(pool(), "phonecheck.v1.PhoneCheck").expect("routes");
        let service = pool()
            .get_service_by_name("phonecheck.v1.PhoneCheck")
            .expect("the service");
        assert_eq!(routes.len(), service.methods().len());
    }

    #[test]
    fn paths_find_their_method_and_variables() {
        let routes = routes(pool(), "phonecheck.v1.PhoneCheck").expect("routes");
        let method = |verb: Method, path: &str| match find(&routes, &verb, path) {
            Found::Route(route, variables) => Some((route.method.name().to_owned(), variables)),
            _ => None,
        };
        assert_eq!(
            method(Method::POST, "/v1/check"),
            Some(("Check".into(), vec![]))
        );
        assert_eq!(
            method(Method::POST, "/v1/check:stream"),
            Some(("CheckStream".into(), vec![]))
        );
        assert_eq!(
            method(Method::POST, "/v1/jobs/j_1:cancel"),
            Some(("CancelJob".into(), vec![("id".into(), "j_1".into())]))
        );
        assert_eq!(
            method(Method::GET, "/v1/jobs/j%5F1"),
            Some(("GetJob".into(), vec![("id".into(), "j_1".into())]))
        );
        assert_eq!(
            method(Method::DELETE, "/v1/jobs/j_1"),
            Some(("DeleteJob".into(), vec![("id".into(), "j_1".into())]))
        );
        assert_eq!(
            method(Method::HEAD, "/v1/jobs/j_1/results").map(|m| m.0),
            Some("GetJobResults".into())
        );
        assert_eq!(method(Method::POST, "/v1/check:nothing"), None);
        assert_eq!(method(Method::GET, "/v1/jobs/"), None);
        assert!(matches!(
            find(&routes, &Method::PUT, "/v1/jobs/j_1"),
            Found::OtherMethods(m) if m.contains(&Method::GET) && m.contains(&Method::DELETE)
        ));
        assert!(matches!(
            find(&routes, &Method::GET, "/v2/jobs"),
            Found::Nothing
        ));
    }

    #[test]
    fn templates_outside_what_is_served_are_refused() {
        assert!(Template::parse("v1/jobs").is_err());
        assert!(Template::parse("/v1/{name=jobs/*}").is_err());
        assert!(Template::parse("/v1//jobs").is_err());
        assert!(Template::parse("/v1/**").is_err());
        let template = Template::parse("/v1/jobs/{id}:watch").expect("parses");
        assert_eq!(template.verb.as_deref(), Some("watch"));
        assert_eq!(
            template.matches("/v1/jobs/a:b:watch"),
            Some(vec![("id".into(), "a:b".into())])
        );
    }
}
