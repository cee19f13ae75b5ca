// Imported first, before anything else the page loads: the window needs no peer-to-peer network,
// and WebRTC is the one way out of the page its content security policy does not govern (a TURN
// server's user name can carry anything to any host). With the constructors gone, code that runs
// in the page later, a dependency gone bad included, has no WebRTC to reach for. Main also sends
// the window's WebRTC through a proxy that goes nowhere (src/main/permissions.ts).
for (const name of ['RTCPeerConnection', 'webkitRTCPeerConnection', 'RTCDataChannel', 'RTCSessionDescription', 'RTCIceCandidate']) {
  Reflect.deleteProperty(globalThis, name);
}
export {};
