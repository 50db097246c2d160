use crate::common::TestRedis;
use ferry_common::messages::Progress;
use std::time::Duration;
use uuid::Uuid;

#[tokio::test]
async fn progress_put_get() {
    let t = TestRedis::new().await;
    let c = &t.coord;
    let (a, b, missing) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    assert!(c.get_progress(&[]).await.unwrap().is_empty());
    assert!(c.get_progress(&[a]).await.unwrap().is_empty());

    let pa = Progress {
        files_total: 10,
        files_done: 3,
        bytes_total: 1 << 40,
        bytes_done: 12345,
    };
    let pb = Progress {
        files_total: 1,
        ..Progress::default()
    };
    c.put_progress(a, &pa, Duration::from_secs(30))
        .await
        .unwrap();
    c.put_progress(b, &pb, Duration::from_millis(300))
        .await
        .unwrap();

    let got = c.get_progress(&[a, missing, b]).await.unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(got[&a], pa);
    assert_eq!(got[&b], pb);

    // A newer report replaces the old one.
    let pa2 = Progress {
        files_done: 4,
        ..pa
    };
    c.put_progress(a, &pa2, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(c.get_progress(&[a]).await.unwrap()[&a], pa2);

    // Reports vanish after their ttl.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = c.get_progress(&[a, b]).await.unwrap();
    assert_eq!(got.keys().collect::<Vec<_>>(), [&a]);
}
