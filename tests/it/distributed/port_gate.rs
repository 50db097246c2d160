//! A gate in front of a real server: a TCP forwarder on its own port that can be closed
//! (new connections refused, open ones cut) and opened again on the same port. To a
//! client it is the server going down and coming back — as a stopped S3 endpoint looks
//! to Ferry — while the server itself (and every other test using it) runs on.

use std::io::ErrorKind;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// The gate; closed on drop.
pub(crate) struct PortGate {
    pub(crate) port: u16,
    target: u16,
    open: Option<(Arc<AtomicBool>, Arc<Mutex<Vec<TcpStream>>>, JoinHandle<()>)>,
}

impl PortGate {
    /// A closed gate on a free port in front of 127.0.0.1:`target`.
    pub(crate) fn closed(target: u16) -> Self {
        PortGate { port: super::servers::free_port(), target, open: None }
    }

    /// Starts forwarding.
    pub(crate) fn open(&mut self) {
        if self.open.is_some() {
            return;
        }
        let listener = TcpListener::bind(("127.0.0.1", self.port)).expect("bind the gate's port");
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let conns: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (stop2, conns2, target) = (stop.clone(), conns.clone(), self.target);
        let thread = std::thread::spawn(move || {
            while !stop2.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((client, _)) => {
                        client.set_nonblocking(false).unwrap();
                        let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else { continue };
                        let mut held = conns2.lock().unwrap();
                        held.push(client.try_clone().unwrap());
                        held.push(server.try_clone().unwrap());
                        pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
                        pipe(server, client);
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => std::thread::sleep(Duration::from_millis(10)),
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        self.open = Some((stop, conns, thread));
    }

    /// Refuses new connections and cuts the open ones.
    pub(crate) fn close(&mut self) {
        if let Some((stop, conns, thread)) = self.open.take() {
            stop.store(true, Ordering::SeqCst);
            let _ = thread.join();
            for c in conns.lock().unwrap().drain(..) {
                let _ = c.shutdown(Shutdown::Both);
            }
        }
    }
}

impl Drop for PortGate {
    fn drop(&mut self) {
        self.close();
    }
}

fn pipe(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut from, &mut to);
        let _ = to.shutdown(Shutdown::Write);
    });
}
