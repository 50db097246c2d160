//! Turning SIGTERM / Ctrl-C into a cancellation token every part of a role watches.

use tokio_util::sync::CancellationToken;

/// A token fired by the first SIGTERM or Ctrl-C.
pub(crate) fn on_signal() -> CancellationToken {
    let token = CancellationToken::new();
    let fire = token.clone();
    tokio::spawn(async move {
        super::standalone::shutdown_signal().await;
        fire.cancel();
    });
    token
}
