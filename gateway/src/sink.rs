//! The gateway's one remotable actor: receives the events of the auctions this gateway subscribed
//! to, and hands them to the hubs.

use std::sync::Arc;

use protocol::cluster::{GATEWAYS_GROUP, GatewayMessage, gateway_name};
use ractor::{Actor, ActorProcessingErr, ActorRef};

use crate::hub::Hubs;

/// The sink's behaviour.
#[derive(Debug, Default)]
pub struct Sink;

impl Sink {
    /// Spawn the sink under this gateway's well-known name and join the gateways group.
    pub async fn start(
        gateway_id: &str,
        hubs: Arc<Hubs>,
    ) -> Result<ActorRef<GatewayMessage>, ractor::SpawnErr> {
        let (sink, _) = Actor::spawn(Some(gateway_name(gateway_id)), Sink, hubs).await?;
        Ok(sink)
    }
}

impl Actor for Sink {
    type Msg = GatewayMessage;
    type State = Arc<Hubs>;
    type Arguments = Arc<Hubs>;

    async fn pre_start(
        &self,
        myself: ActorRef<Self::Msg>,
        hubs: Self::Arguments,
    ) -> Result<Self::State, ActorProcessingErr> {
        ractor::pg::join(GATEWAYS_GROUP.to_string(), vec![myself.get_cell()]);
        Ok(hubs)
    }

    async fn handle(
        &self,
        _myself: ActorRef<Self::Msg>,
        message: Self::Msg,
        hubs: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            GatewayMessage::Deliver(delivery) => match delivery.into_inner() {
                Ok(delivery) => hubs.deliver(delivery),
                Err(error) => {
                    tracing::warn!(%error, "undecodable delivery dropped (the hub resyncs on the gap)")
                }
            },
            GatewayMessage::Moved(moved) => {
                if let Ok(moved) = moved.into_inner() {
                    hubs.moved(&moved.auction_id, &moved.node);
                }
            }
        }
        Ok(())
    }
}
