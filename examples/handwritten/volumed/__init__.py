"""volumed: a small block-storage service in the style of OpenStack Cinder's
volume manager, served over oslo.messaging RPC. It knows nothing of gRPC:
docs/worked-example.md calls it through grpc_amqp_bridge with a hand-written
.proto (examples/handwritten/volume.proto)."""
