//! One source of truth: the manifests of the example hubs name exactly the methods their
//! dispatch binds, in order, with the same argument and stream counts, so generated clients
//! call what the server answers.

use hub_runtime::Hub;
use hub_runtime::manifest::MethodKind;

fn check<H: Hub>() {
    let manifest = H::manifest();
    let described = &manifest.hubs[0].methods;
    let names: Vec<&str> = described.iter().map(|m| m.name.as_str()).collect();
    let bound: Vec<&str> = H::METHODS.iter().map(|m| m.name).collect();
    assert_eq!(names, bound);
    for (method, info) in described.iter().zip(H::METHODS) {
        let streams = method.params.iter().filter(|p| p.stream).count();
        assert_eq!(method.params.len() - streams, info.params, "{}", info.name);
        assert_eq!(streams, info.streams, "{}", info.name);
        assert_eq!(
            method.kind == MethodKind::Stream,
            info.streaming,
            "{}",
            info.name
        );
    }
}

#[test]
fn chat() {
    check::<chat::ChatHub>();
}

#[test]
fn types() {
    check::<types::TypesHub>();
}
