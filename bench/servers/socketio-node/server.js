// Peer: Socket.IO 4.x on Node with its defaults. `echo` answers its argument through the ack,
// `broadcast` emits `message` with its argument to every socket (the sender included), `join`
// puts the socket in the room named by its argument (then acks), `group` with `room, data`
// emits `message` with `data` to the room's sockets.
// Prints `listening on http://ADDR` once bound.
//
//   node server.js [--addr 127.0.0.1:0]
"use strict";
const http = require("node:http");
const { Server } = require("socket.io");

let host = "127.0.0.1";
let port = 0;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === "--addr") {
    const value = argv[++i];
    const colon = value.lastIndexOf(":");
    host = value.slice(0, colon);
    port = Number(value.slice(colon + 1));
  }
}

const httpServer = http.createServer();
const io = new Server(httpServer);
io.on("connection", (socket) => {
  socket.on("echo", (data, ack) => {
    if (typeof ack === "function") ack(data);
  });
  socket.on("broadcast", (data) => {
    io.emit("message", data);
  });
  socket.on("join", (room, ack) => {
    socket.join(room);
    if (typeof ack === "function") ack();
  });
  socket.on("group", (room, data) => {
    io.to(String(room)).emit("message", data);
  });
});

httpServer.listen(port, host, () => {
  const addr = httpServer.address();
  console.log(`listening on http://${addr.address}:${addr.port}`);
});
process.on("SIGTERM", () => process.exit(0));
