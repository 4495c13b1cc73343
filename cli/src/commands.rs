//! The commands that make one call (and, with --wait, poll it to its end).

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use osb::catalog::{Catalog, Plan, ServiceOffering};
use osb::client::{BindAnswer, Client, ClientError, Wait, random_id};
use osb::response::OperationState;
use osb::wire::{BindRequest, LastOperationBody, ProvisionRequest, UpdateRequest};
use serde_json::{Value, json};

use crate::args::{self, Async, Command};
use crate::output;
use crate::{Exit, catalog};

/// Runs one command; the error is the call's.
pub(crate) async fn run(
    client: &Client,
    command: Command,
    json: bool,
) -> Result<Exit, ClientError> {
    match command {
        Command::Catalog => {
            let catalog = catalog(client).await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&catalog).unwrap_or_default()
                );
            } else {
                output::catalog_table(&catalog);
            }
            Ok(Exit::Done)
        }
        Command::Provision(args) => provision(client, args, json).await,
        Command::Update(args) => update(client, args, json).await,
        Command::Deprovision(args) => deprovision(client, args, json).await,
        Command::Bind(args) => bind(client, args, json).await,
        Command::Unbind(args) => unbind(client, args, json).await,
        Command::Fetch(args) => {
            let body = match &args.binding {
                None => serde_json::to_value(client.fetch_instance(&args.id).await?),
                Some(binding) => {
                    serde_json::to_value(client.fetch_binding(&args.id, binding).await?)
                }
            };
            output::answer(json, "fetched", &body.unwrap_or_default(), None);
            Ok(Exit::Done)
        }
        Command::LastOperation(args) => {
            let polled = match &args.binding {
                None => {
                    client
                        .last_operation(&args.id, args.operation.as_deref())
                        .await?
                }
                Some(binding) => {
                    client
                        .binding_last_operation(&args.id, binding, args.operation.as_deref())
                        .await?
                }
            };
            let body = serde_json::to_value(&polled.body).unwrap_or_default();
            output::answer(json, "last operation", &body, None);
            Ok(state_exit(&polled.body))
        }
        Command::Check(_) => Ok(Exit::Usage),
    }
}

/// The offering and plan named by id or name.
fn resolve<'c>(
    catalog: &'c Catalog,
    service: &str,
    plan: Option<&str>,
) -> Result<(&'c ServiceOffering, Option<&'c Plan>), ClientError> {
    let offering = catalog
        .services
        .iter()
        .find(|s| s.id == service || s.name == service)
        .ok_or_else(|| {
            ClientError::Settings(format!(
                "the catalog has no offering with the id or name {service:?}"
            ))
        })?;
    let plan = match plan {
        None => None,
        Some(plan) => Some(
            offering
                .plans
                .iter()
                .find(|p| p.id == plan || p.name == plan)
                .ok_or_else(|| {
                    ClientError::Settings(format!(
                        "offering {:?} has no plan with the id or name {plan:?}",
                        offering.name
                    ))
                })?,
        ),
    };
    Ok((offering, plan))
}

async fn resolve_plan(
    client: &Client,
    plan: &args::Plan,
) -> Result<(ServiceOffering, Plan), ClientError> {
    let catalog = catalog(client).await?;
    let (service, found) = resolve(&catalog, &plan.service, Some(&plan.plan))?;
    match found {
        Some(found) => Ok((service.clone(), found.clone())),
        None => Err(ClientError::Settings(String::from("no plan given"))),
    }
}

fn parameters(text: Option<&str>) -> Result<Option<Value>, ClientError> {
    text.map(|text| {
        serde_json::from_str::<Value>(text)
            .ok()
            .filter(Value::is_object)
            .ok_or_else(|| {
                ClientError::Settings(format!("--params must be a JSON object, not {text:?}"))
            })
    })
    .transpose()
}

fn wait_for(plan: Option<&Plan>, run: &Async) -> Wait {
    let mut wait = plan.map_or_else(Wait::default, Wait::for_plan);
    if let Some(seconds) = run.wait_timeout {
        wait = wait.timeout(Duration::from_secs(seconds));
    }
    wait
}

/// A spinner on standard error that shows each poll's state (hidden when standard
/// error is not a terminal).
fn spinner(what: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} {elapsed} {msg}") {
        bar.set_style(style);
    }
    bar.set_message(what.to_owned());
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

fn show(bar: &ProgressBar, what: &str) -> impl FnMut(&LastOperationBody<'_>) {
    let bar = bar.clone();
    let what = what.to_owned();
    move |polled| {
        let state = serde_json::to_value(polled.state).unwrap_or_default();
        let state = state.as_str().unwrap_or("?").to_owned();
        match &polled.description {
            Some(description) => bar.set_message(format!("{what}: {state} ({description})")),
            None => bar.set_message(format!("{what}: {state}")),
        }
    }
}

/// The exit code of an operation's last state: a failed operation is a broker error.
fn state_exit(body: &LastOperationBody<'_>) -> Exit {
    if body.state == OperationState::Failed {
        Exit::Broker
    } else {
        Exit::Done
    }
}

/// Where an operation runs: an instance, or one of its bindings.
#[derive(Clone, Copy)]
enum Target<'a> {
    Instance(&'a str),
    Binding(&'a str, &'a str),
}

/// Polls `target`'s operation to its end with a spinner, and puts its last state
/// into `body` as `last_operation`.
async fn wait_for_end(
    client: &Client,
    target: Target<'_>,
    operation: Option<&str>,
    wait: &Wait,
    what: &str,
    body: &mut Value,
) -> Result<LastOperationBody<'static>, ClientError> {
    let bar = spinner(what);
    let done = match target {
        Target::Instance(id) => {
            client
                .wait_for_instance(id, operation, wait, show(&bar, what))
                .await
        }
        Target::Binding(instance, binding) => {
            client
                .wait_for_binding(instance, binding, operation, wait, show(&bar, what))
                .await
        }
    };
    bar.finish_and_clear();
    let done = done?;
    body["last_operation"] = serde_json::to_value(&done).unwrap_or_default();
    Ok(done)
}

async fn provision(
    client: &Client,
    args: args::Provision,
    json: bool,
) -> Result<Exit, ClientError> {
    let (service, plan) = resolve_plan(client, &args.plan).await?;
    let id = args.id.unwrap_or_else(random_id);
    let mut request =
        ProvisionRequest::new(&service.id, &plan.id).organization(&args.org, &args.space);
    if let Some(parameters) = parameters(args.params.as_deref())? {
        request = request.parameters(&parameters);
    }
    let answer = client.provision(&id, &request, !args.run.sync).await?;
    let mut body = json!({
        "instance_id": id,
        "status": answer.status.as_u16(),
        "answer": answer.body,
    });
    let mut exit = Exit::Done;
    if answer.is_accepted() && args.run.wait {
        let wait = wait_for(Some(&plan), &args.run);
        let operation = answer.body.operation.as_deref();
        let done = wait_for_end(
            client,
            Target::Instance(&id),
            operation,
            &wait,
            "provision",
            &mut body,
        )
        .await?;
        exit = state_exit(&done);
    }
    output::answer(json, "provision", &body, Some(&id));
    Ok(exit)
}

async fn update(client: &Client, args: args::Update, json: bool) -> Result<Exit, ClientError> {
    let catalog = catalog(client).await?;
    let (service, plan) = resolve(&catalog, &args.service, args.plan.as_deref())?;
    let mut request = UpdateRequest::new(&service.id);
    if let Some(plan) = plan {
        request = request.plan(&plan.id);
    }
    if let Some(parameters) = parameters(args.params.as_deref())? {
        request = request.parameters(&parameters);
    }
    let answer = client.update(&args.id, &request, !args.run.sync).await?;
    let mut body = json!({
        "instance_id": args.id,
        "status": answer.status.as_u16(),
        "answer": answer.body,
    });
    let mut exit = Exit::Done;
    if answer.is_accepted() && args.run.wait {
        let wait = wait_for(plan, &args.run);
        let operation = answer.body.operation.as_deref();
        let done = wait_for_end(
            client,
            Target::Instance(&args.id),
            operation,
            &wait,
            "update",
            &mut body,
        )
        .await?;
        exit = state_exit(&done);
    }
    output::answer(json, "update", &body, None);
    Ok(exit)
}

async fn deprovision(client: &Client, args: args::Target, json: bool) -> Result<Exit, ClientError> {
    let (service, plan) = resolve_plan(client, &args.plan).await?;
    let answer = client
        .deprovision(&args.id, &service.id, &plan.id, !args.run.sync)
        .await?;
    let mut body = json!({
        "instance_id": args.id,
        "status": answer.status.as_u16(),
        "answer": answer.body,
    });
    let mut exit = Exit::Done;
    if answer.is_accepted() && args.run.wait {
        let wait = wait_for(Some(&plan), &args.run).deleting();
        let operation = answer.body.operation.as_deref();
        let done = wait_for_end(
            client,
            Target::Instance(&args.id),
            operation,
            &wait,
            "deprovision",
            &mut body,
        )
        .await?;
        exit = state_exit(&done);
    }
    output::answer(json, "deprovision", &body, None);
    Ok(exit)
}

async fn bind(client: &Client, args: args::Bind, json: bool) -> Result<Exit, ClientError> {
    let (service, plan) = resolve_plan(client, &args.plan).await?;
    let id = args.id.unwrap_or_else(random_id);
    let mut request = BindRequest::new(&service.id, &plan.id);
    if let Some(app) = &args.app_guid {
        request = request.bind_resource(&json!({"app_guid": app}));
    }
    if let Some(parameters) = parameters(args.params.as_deref())? {
        request = request.parameters(&parameters);
    }
    if let Some(predecessor) = &args.predecessor {
        request = request.predecessor(predecessor);
    }
    let answer = client
        .bind(&args.instance, &id, &request, !args.run.sync)
        .await?;
    let status = answer.status.as_u16();
    match answer.body {
        BindAnswer::Bound(binding) => {
            let body = json!({"instance_id": args.instance, "binding_id": id, "status": status, "answer": binding});
            output::answer(json, "bind", &body, Some(&id));
            Ok(Exit::Done)
        }
        BindAnswer::Accepted(operation) => {
            let mut body = json!({"instance_id": args.instance, "binding_id": id, "status": status, "answer": operation});
            if !args.run.wait {
                output::answer(json, "bind", &body, Some(&id));
                return Ok(Exit::Done);
            }
            let wait = wait_for(Some(&plan), &args.run);
            let target = Target::Binding(&args.instance, &id);
            let operation = operation.operation.as_deref();
            let done = wait_for_end(client, target, operation, &wait, "bind", &mut body).await?;
            if done.state == OperationState::Succeeded && service.bindings_retrievable == Some(true)
            {
                let binding = client.fetch_binding(&args.instance, &id).await?;
                body["binding"] = serde_json::to_value(binding).unwrap_or_default();
            }
            output::answer(json, "bind", &body, Some(&id));
            Ok(state_exit(&done))
        }
    }
}

async fn unbind(
    client: &Client,
    args: args::BindingTarget,
    json: bool,
) -> Result<Exit, ClientError> {
    let (service, plan) = resolve_plan(client, &args.plan).await?;
    let answer = client
        .unbind(
            &args.instance,
            &args.id,
            &service.id,
            &plan.id,
            !args.run.sync,
        )
        .await?;
    let mut body = json!({
        "instance_id": args.instance,
        "binding_id": args.id,
        "status": answer.status.as_u16(),
        "answer": answer.body,
    });
    let mut exit = Exit::Done;
    if answer.is_accepted() && args.run.wait {
        let wait = wait_for(Some(&plan), &args.run).deleting();
        let target = Target::Binding(&args.instance, &args.id);
        let operation = answer.body.operation.as_deref();
        let done = wait_for_end(client, target, operation, &wait, "unbind", &mut body).await?;
        exit = state_exit(&done);
    }
    output::answer(json, "unbind", &body, None);
    Ok(exit)
}
