//! The info field every model node keeps (`modelInfo`): the prepared model's description and the last
//! render, or why the model cannot be used. It is refreshed when an instance is created, when one of
//! its parameters changes and after a sequence. A node says how it prepares its model; the rest is here.

use ofx_sdk::plugin::{EffectInstance, InstanceChangedArgs};

use super::common::{self, NodeState, Prepared};
use super::params;
use crate::error::{Error, Result};

pub trait ModelNode {
    /// The node's model as its parameters at `time` choose it, checked for the node's task.
    fn prepare_at(instance: &EffectInstance<'_>, time: f64) -> Result<Prepared>;

    /// What the instance remembers between renders (the last render time and note).
    fn state(&self) -> &NodeState;

    /// The info line for a model that prepared; its description unless the node adds to it.
    fn model_info(&self, prepared: &Prepared) -> String {
        prepared.describe()
    }

    /// Writes the info field. No dialog: hosts create instances when they open a project (MLT for
    /// every frame), and a failing render already leaves its reason on the node.
    fn update_info(&self, instance: &EffectInstance<'_>, time: f64) -> Result<()> {
        let text = match Self::prepare_at(instance, time) {
            Ok(prepared) => self.model_info(&prepared) + &self.state().suffix(),
            Err(Error::NoModel) => String::new(),
            Err(e) => e.to_string(),
        };
        common::set_info(instance, &text)
    }

    /// [`update_info`](Self::update_info) where a failure is only logged: the field is a courtesy, so
    /// a bad model must not stop an instance from existing, and hosts that refuse parameter changes
    /// after a sequence lose only that line.
    fn refresh_info(&self, instance: &EffectInstance<'_>, time: f64) {
        if let Err(e) = self.update_info(instance, time) {
            tracing::debug!("model info not updated: {e}");
        }
    }

    /// The info field's part of InstanceChanged: any parameter but the field itself changes it.
    fn info_on_change(
        &self,
        instance: &EffectInstance<'_>,
        args: &InstanceChangedArgs,
    ) -> Result<()> {
        if args.is_clip || args.name.as_bytes() == params::MODEL_INFO.to_bytes() {
            return Ok(());
        }
        self.update_info(instance, args.time)
    }
}
