use super::*;
use serde_json::json;

#[test]
fn triggers_read_with_their_defaults() {
    let list: Vec<TriggerSpec> = serde_json::from_value(json!([
        {"file_arrival": {"url": "s3://landing/orders/", "pattern": "*.csv"}},
        {"upstream": {"pipeline": "import-orders", "on": "finished"}},
        {"webhook": {}}
    ]))
    .unwrap();
    let TriggerSpec::FileArrival(f) = &list[0] else { panic!() };
    assert_eq!((f.poll.0.as_secs(), f.settle.0.as_secs(), f.mode, f.start), (10, 30, ArrivalMode::Each, ArrivalStart::Now));
    assert_eq!(list[1].kind(), TriggerKind::Upstream);
    let TriggerSpec::Upstream(u) = &list[1] else { panic!() };
    assert!(u.on.fires_on(crate::state::RunState::Failed) && u.on.fires_on(crate::state::RunState::Succeeded));
    assert!(serde_json::from_value::<TriggerSpec>(json!({"webhook": {"secret": "x"}})).is_err(), "unknown fields are refused");
}
