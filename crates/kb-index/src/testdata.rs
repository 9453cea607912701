//! A generated evaluation set: a realistic 10,000-entry knowledge base (HTTP operations over
//! ~130 resources in 20 business domains, their sub-resources, reports and legacy versions,
//! plus their tables, archive copies and analytics roll-ups, and a few Chinese, Japanese and
//! Korean modules), labelled queries phrased the way people ask, a deterministic test embedding
//! and the retrieval metrics. Deterministic: the same call gives the same data.
//!
//! The real embeddings come from an LLM provider elsewhere; [`test_embedding`] (hashed
//! character trigrams projected to [`TEST_EMBEDDING_DIM`] dims) only exercises the vector path.

use std::collections::HashSet;

use domain::kb::entry::*;
use serde_json::{json, Map, Value};

use crate::build::{KbIndex, Query};
use crate::hybrid::Ranking;

pub const TEST_EMBEDDING_DIM: usize = 256;

/// A query and the entry it should find.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelledQuery {
    pub text: String,
    pub expected: EntryKey,
    /// `en`, `zh`, `ja` or `ko`.
    pub lang: &'static str,
}

pub struct EvalSet {
    pub entries: Vec<Entry>,
    pub queries: Vec<LabelledQuery>,
}

/// Hashed character-trigram bag (log-scaled counts, signed hashing) projected to 256 dims and
/// L2-normalised. Similar spellings give similar vectors; it knows no synonyms.
pub fn test_embedding(text: &str) -> Vec<f32> {
    let mut norm = String::with_capacity(text.len() + 2);
    norm.push(' ');
    let mut space = true;
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            norm.push(c);
            space = false;
        } else if !space {
            norm.push(' ');
            space = true;
        }
    }
    if !space {
        norm.push(' ');
    }
    let chars: Vec<char> = norm.chars().collect();
    let mut counts = vec![0f32; TEST_EMBEDDING_DIM];
    for w in chars.windows(3) {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for c in w {
            for b in (*c as u32).to_le_bytes() {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        }
        let i = (h % TEST_EMBEDDING_DIM as u64) as usize;
        counts[i] += if (h >> 40) & 1 == 0 { 1.0 } else { -1.0 };
    }
    let mut v: Vec<f32> = counts.iter().map(|&c| c.signum() * (1.0 + c.abs()).ln()).collect();
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if n > 0.0 {
        v.iter_mut().for_each(|x| *x /= n);
    }
    v
}

/// Recall@5 and MRR@10 of one ranking over labelled queries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quality {
    pub queries: usize,
    pub recall_at_5: f64,
    pub mrr_at_10: f64,
}

/// Embeds a query text (for the vector side of an evaluation).
pub type EmbedFn<'a> = &'a dyn Fn(&str) -> Vec<f32>;

/// Runs every query (k = 10, no filter) and scores where the expected entry came.
pub fn evaluate(index: &KbIndex, queries: &[LabelledQuery], ranking: Ranking, embed: Option<EmbedFn<'_>>) -> Quality {
    let mut found5 = 0usize;
    let mut rr = 0f64;
    for q in queries {
        let emb = embed.map(|f| f(&q.text));
        let hits = index.search(&Query::new(q.text.clone()).k(10).ranking(ranking), emb.as_deref());
        if let Some(p) = hits.iter().position(|h| h.key == q.expected) {
            if p < 5 {
                found5 += 1;
            }
            rr += 1.0 / (p + 1) as f64;
        }
    }
    let n = queries.len().max(1) as f64;
    Quality { queries: queries.len(), recall_at_5: found5 as f64 / n, mrr_at_10: rr / n }
}

// ---- deterministic randomness ----------------------------------------------------------

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

// ---- the resources ---------------------------------------------------------------------

/// `#tag` starts a domain; then `table|singular|description|fields|actions` where fields are
/// `name:type:description` (type `v` varchar, `t` text, `i` integer, `b` bigint, `m` money,
/// `bo` boolean, `ts` timestamp, `d` date, `j` jsonb, `fk:<table>` a reference) and actions
/// `verb:summary:description`, both `;`-separated.
const RESOURCES: &str = r#"
#billing
invoices|invoice|A bill sent to a customer for goods or services, with a due date and a running balance.|number:v:Human-readable invoice number such as INV-2024-0042;customer_id:fk:customers:Customer billed;amount_due:m:Amount still owed;due_date:d:When payment is due;status:v:draft, open, paid, void or uncollectible|finalize:Finalize an invoice:Locks a draft invoice so that it can be sent and paid. No more line items can be added.;void:Void an invoice:Marks an open invoice as void. It can no longer be paid and is kept for the records.
invoice_line_items|invoice line item|One line on an invoice: a product or service, its quantity, unit price and tax.|invoice_id:fk:invoices:Invoice the line belongs to;description:t:What was sold;quantity:i:How many units;unit_price:m:Price of one unit;tax_rate:m:Tax percentage applied|
credit_notes|credit note|A document that reduces the amount owed on an invoice, e.g. after a return or a billing mistake.|invoice_id:fk:invoices:Invoice being credited;amount:m:Amount credited;reason:v:duplicate, fraudulent, order_change or product_unsatisfactory|void:Void a credit note:Cancels a credit note that was issued by mistake.
tax_rates|tax rate|A tax percentage (VAT, GST, sales tax) applied to invoice lines in a jurisdiction.|percentage:m:The rate, e.g. 20.00;jurisdiction:v:Country or state code;inclusive:bo:Whether prices already include it|
subscriptions|subscription|A customer's recurring billing agreement for a plan, renewed every billing period.|customer_id:fk:customers:Subscriber;plan_id:fk:plans:Plan subscribed to;current_period_end:ts:When the current billing period ends;cancel_at_period_end:bo:Whether it stops renewing|cancel:Cancel a subscription:Stops the subscription from renewing. By default it ends at the end of the current billing period.;pause:Pause a subscription:Temporarily stops invoicing without cancelling. Resume it later.;resume:Resume a subscription:Restarts invoicing for a paused subscription.
plans|plan|A pricing plan (tier) customers subscribe to: price, currency and billing interval.|name:v:Plan name shown on the pricing page;amount:m:Price per interval;interval:v:month or year;trial_days:i:Free trial length in days|archive:Archive a plan:Hides a plan from new subscribers. Existing subscriptions keep it.
coupons|coupon|A discount code customers redeem at checkout for a percentage or fixed amount off.|code:v:The code customers type, e.g. SPRING20;percent_off:m:Percentage discount;max_redemptions:i:How many times it can be used;expires_at:ts:When it stops working|
usage_records|usage record|Metered usage reported for a subscription item, billed at the end of the period.|subscription_id:fk:subscriptions:Metered subscription;quantity:i:Units used;recorded_at:ts:When the usage happened|
#payments
payment_methods|payment method|A saved card, bank account or wallet a customer pays with.|customer_id:fk:customers:Owner;type:v:card, sepa_debit, ach or wallet;last4:v:Last four digits;expires_on:d:Card expiry|set-default:Set the default payment method:Makes this payment method the one used for future invoices.
payments|payment|Money collected from a customer: a card charge, bank transfer or wallet payment.|amount:m:Amount collected;currency:v:ISO currency code;customer_id:fk:customers:Payer;status:v:pending, succeeded or failed|refund:Refund a payment:Returns all or part of a payment to the customer's original payment method.;capture:Capture a payment:Captures the funds of a payment that was only authorised.
refunds|refund|Money returned to a customer for a payment, fully or partially.|payment_id:fk:payments:Refunded payment;amount:m:Amount returned;reason:v:requested_by_customer, duplicate or fraudulent|
payouts|payout|A transfer of collected funds from the platform balance to the merchant's bank account.|amount:m:Amount paid out;arrival_date:d:Expected arrival;bank_account_id:fk:bank_accounts:Destination|
bank_accounts|bank account|A merchant bank account (IBAN or routing and account number) that receives payouts.|iban:v:International bank account number;holder_name:v:Account holder;verified:bo:Micro-deposits verified|verify:Verify a bank account:Confirms ownership with the two micro-deposit amounts.
disputes|dispute|A chargeback opened by a cardholder's bank against a payment.|payment_id:fk:payments:Disputed payment;reason:v:fraudulent, product_not_received or duplicate;evidence_due_by:ts:Deadline for evidence|submit-evidence:Submit dispute evidence:Sends receipts, shipping proof and customer emails to contest the chargeback.
#crm
customers|customer|A person or company that buys from you. Holds contact details and the billing address.|email:v:Billing email;name:v:Full name or company name;phone:v:Phone number;balance:m:Credit balance|merge:Merge customers:Merges a duplicate customer into this one, moving invoices and payments.
contacts|contact|A person at a customer or lead company in the CRM.|first_name:v:Given name;last_name:v:Family name;email:v:Email address;company_id:fk:companies:Employer|
companies|company|An organisation tracked in the CRM, with industry and size.|name:v:Legal or trading name;domain:v:Website domain;industry:v:Industry sector;employee_count:i:Head count|
leads|lead|A prospective customer who has shown interest but is not qualified yet.|email:v:Lead's email;source:v:web_form, event, referral or ads;score:i:Lead score from 0 to 100|convert:Convert a lead:Turns a qualified lead into a contact, a company and a deal.
deals|deal|A sales opportunity moving through pipeline stages until won or lost.|title:v:Deal name;value:m:Expected revenue;stage_id:fk:pipeline_stages:Current stage;close_date:d:Expected close date|win:Mark a deal as won:Closes the deal as won and records the revenue.;lose:Mark a deal as lost:Closes the deal as lost with a loss reason.
pipeline_stages|pipeline stage|A step of a sales pipeline (qualification, proposal, negotiation).|name:v:Stage name;position:i:Order in the pipeline;probability:i:Win probability in percent|
activities|activity|A logged sales activity: a call, meeting or email with a contact.|type:v:call, meeting or email;contact_id:fk:contacts:Who it was with;occurred_at:ts:When it happened;duration_minutes:i:Length|
#support
tickets|ticket|A customer support request tracked until it is resolved.|subject:v:Short summary;priority:v:low, normal, high or urgent;requester_id:fk:users:Who asked;assignee_id:fk:agents:Agent working on it|assign:Assign a ticket:Gives the ticket to an agent or a group.;close:Close a ticket:Marks the ticket solved and sends the satisfaction survey.;reopen:Reopen a ticket:Opens a closed ticket again when the customer replies.
agents|agent|A support team member who answers tickets.|user_id:fk:users:Agent's login;group_id:fk:agent_groups:Team;max_open_tickets:i:Capacity|
agent_groups|agent group|A team of support agents that tickets are routed to (billing, technical, VIP).|name:v:Group name;business_hours_id:fk:business_hours:Hours the group works|
macros|macro|A saved reply and set of actions an agent applies to a ticket in one click.|title:v:Macro name;body:t:Reply text with placeholders;actions:j:Field changes to apply|
sla_policies|SLA policy|Service level targets: first response and resolution times per priority.|name:v:Policy name;first_response_minutes:i:Target for the first reply;resolution_minutes:i:Target for resolution|
satisfaction_ratings|satisfaction rating|A customer's good or bad rating of how a ticket was handled (CSAT).|ticket_id:fk:tickets:Rated ticket;score:v:good or bad;comment:t:Customer's remark|
knowledge_articles|knowledge article|A help-center article customers read to solve problems themselves.|title:v:Article title;body:t:Article content in markdown;locale:v:Language;published:bo:Visible in the help center|publish:Publish an article:Makes the article visible in the public help center.
#identity
users|user|A person who signs in to the application.|email:v:Sign-in email, unique;display_name:v:Name shown to others;last_login_at:ts:Last successful sign-in;locked:bo:Locked after too many failed sign-ins|deactivate:Deactivate a user:Blocks sign-in and frees the seat. Data is kept.;unlock:Unlock a user:Clears the lock after too many failed sign-in attempts.
roles|role|A named set of permissions assigned to users (admin, editor, viewer).|name:v:Role name;permissions:j:Permission strings granted;builtin:bo:Shipped with the product|
teams|team|A group of users who share access to projects.|name:v:Team name;owner_id:fk:users:Team owner|
invitations|invitation|An email invitation for someone to join the workspace.|email:v:Invitee email;role_id:fk:roles:Role granted on acceptance;expires_at:ts:When the link expires|resend:Resend an invitation:Sends the invitation email again with a fresh link.;accept:Accept an invitation:Joins the workspace with the invited role.
api_keys|API key|A secret key a program uses to call the API on behalf of the workspace.|name:v:Label;prefix:v:First characters, for recognising it;last_used_at:ts:Last call made with it;scopes:j:What it may do|rotate:Rotate an API key:Issues a new secret and revokes the old one after a grace period.
sessions|session|A signed-in browser or device session.|user_id:fk:users:Signed-in user;ip_address:v:Client IP;user_agent:t:Browser;expires_at:ts:Expiry|revoke:Revoke a session:Signs the device out immediately.
sso_connections|SSO connection|Single sign-on configuration for SAML or OIDC identity providers (Okta, Azure AD).|protocol:v:saml or oidc;metadata_url:t:Identity provider metadata;domain:v:Email domain routed to it|test:Test an SSO connection:Runs a test sign-in against the identity provider.
audit_events|audit event|A security-relevant action recorded for compliance: sign-ins, permission changes, exports.|actor_id:fk:users:Who did it;action:v:What was done;ip_address:v:Where from;occurred_at:ts:When|
workspaces|workspace|A tenant: an organisation's isolated space with its own users, settings and data.|name:v:Workspace name;plan_id:fk:plans:Billing plan;region:v:Data residency region|transfer-ownership:Transfer workspace ownership:Makes another admin the owner of the workspace.
#catalog
products|product|An item sold in the catalog, with name, description and images.|name:v:Product name;sku:v:Stock keeping unit;brand_id:fk:brands:Brand;active:bo:Available for sale|
product_variants|product variant|A specific version of a product (size, color) with its own SKU and price.|product_id:fk:products:Parent product;sku:v:Variant SKU;price:m:Price;option_values:j:Size, color and other options|
categories|category|A node of the catalog's category tree used for navigation.|name:v:Category name;parent_id:fk:categories:Parent category;slug:v:URL slug|
brands|brand|A manufacturer or label products belong to.|name:v:Brand name;logo_url:t:Logo image|
price_lists|price list|A set of prices for a market, currency or customer group (wholesale, retail).|name:v:Name;currency:v:Currency;customer_group:v:Who gets these prices|
reviews|review|A customer's star rating and written review of a product.|product_id:fk:products:Reviewed product;rating:i:1 to 5 stars;body:t:Review text;verified_purchase:bo:Reviewer bought it|approve:Approve a review:Publishes a review after moderation.;reject:Reject a review:Hides a review that breaks the guidelines.
bundles|bundle|Several products sold together at one price.|name:v:Bundle name;price:m:Bundle price;items:j:Products and quantities|
#orders
orders|order|A customer's purchase: items, amounts, shipping address and fulfilment status.|number:v:Order number shown to the customer;customer_id:fk:customers:Buyer;total:m:Grand total;status:v:pending, paid, fulfilled or cancelled|cancel:Cancel an order:Cancels an order that has not shipped and refunds any payment.;fulfill:Fulfill an order:Marks items as packed and hands them to shipping.
order_items|order item|One product line of an order with quantity and price paid.|order_id:fk:orders:Order;variant_id:fk:product_variants:What was bought;quantity:i:How many;price:m:Unit price paid|
carts|cart|A shopping cart holding items before checkout.|customer_id:fk:customers:Shopper;items:j:Variants and quantities;abandoned_at:ts:When the shopper left|checkout:Check out a cart:Turns the cart into an order and takes payment.
returns|return|A request to send purchased items back for a refund or exchange (RMA).|order_id:fk:orders:Original order;reason:v:damaged, wrong_item or no_longer_needed;status:v:requested, received or refunded|approve:Approve a return:Issues the return label so the customer can send the items back.
gift_cards|gift card|A prepaid card with a balance customers spend at checkout.|code:v:Card code;balance:m:Remaining balance;expires_on:d:Expiry date|disable:Disable a gift card:Stops a lost or stolen gift card from being used.
quotes|quote|A price proposal sent to a B2B buyer before an order.|customer_id:fk:customers:Buyer;total:m:Quoted total;valid_until:d:Offer expiry|accept:Accept a quote:Turns an accepted quote into an order.
#shipping
shipments|shipment|A parcel sent to a customer, with carrier and tracking number.|order_id:fk:orders:Order shipped;carrier:v:UPS, DHL or FedEx;tracking_number:v:Carrier tracking number;shipped_at:ts:Hand-over time|track:Track a shipment:Returns the latest tracking events from the carrier.
shipping_rates|shipping rate|A delivery price for a zone, weight range and service level.|zone_id:fk:shipping_zones:Zone;min_weight_grams:i:Lower bound;price:m:Price;service:v:standard or express|
shipping_zones|shipping zone|A group of countries or regions with the same delivery rates.|name:v:Zone name;countries:j:ISO country codes|
warehouses|warehouse|A physical location stock is stored and shipped from.|name:v:Warehouse name;address:t:Street address;timezone:v:Local timezone|
pickup_points|pickup point|A locker or shop where customers collect parcels.|name:v:Name;carrier:v:Network;latitude:m:Latitude;longitude:m:Longitude|
vehicles|vehicle|A delivery van or truck in the fleet.|plate:v:License plate;capacity_kg:i:Payload;driver_id:fk:employees:Assigned driver|
routes|route|A planned delivery route with ordered stops for a vehicle.|vehicle_id:fk:vehicles:Vehicle;date:d:Day;stops:j:Ordered addresses|optimize:Optimize a route:Reorders the stops to minimise driving time.
#inventory
stock_levels|stock level|How many units of a variant are on hand at a warehouse.|variant_id:fk:product_variants:Variant;warehouse_id:fk:warehouses:Location;on_hand:i:Units available;reserved:i:Units held for orders|adjust:Adjust stock:Adds or removes units after a count, damage or loss.
purchase_orders|purchase order|An order placed with a supplier to restock inventory.|supplier_id:fk:suppliers:Supplier;expected_on:d:Expected delivery;total_cost:m:Total cost|receive:Receive a purchase order:Adds the delivered units to stock.
suppliers|supplier|A vendor goods are purchased from.|name:v:Supplier name;email:v:Ordering email;lead_time_days:i:Days from order to delivery|
stock_transfers|stock transfer|A movement of units between two warehouses.|from_warehouse_id:fk:warehouses:Origin;to_warehouse_id:fk:warehouses:Destination;status:v:draft, in_transit or received|
#hr
employees|employee|A person employed by the company, with job title, manager and start date.|first_name:v:Given name;last_name:v:Family name;job_title:v:Position;manager_id:fk:employees:Line manager;hired_on:d:Start date|terminate:Terminate an employee:Ends employment on a date and schedules offboarding.
departments|department|A unit of the organisation (engineering, sales, finance).|name:v:Department name;head_id:fk:employees:Department head;cost_center:v:Finance cost center|
time_off_requests|time-off request|A request for vacation, sick leave or parental leave.|employee_id:fk:employees:Requester;starts_on:d:First day off;ends_on:d:Last day off;type:v:vacation, sick or parental|approve:Approve time off:Approves the request and deducts it from the leave balance.;decline:Decline time off:Refuses the request with a reason.
payroll_runs|payroll run|A pay cycle computing salaries, taxes and deductions for all employees.|period_start:d:Period start;period_end:d:Period end;total_gross:m:Gross pay;status:v:draft, approved or paid|approve:Approve a payroll run:Locks the run and schedules the salary payments.
timesheets|timesheet|Hours an employee worked per day and project.|employee_id:fk:employees:Who worked;week_start:d:Week;hours:m:Total hours|submit:Submit a timesheet:Sends the week's hours to the manager for approval.
job_postings|job posting|An open position published on the careers page.|title:v:Job title;department_id:fk:departments:Hiring department;location:v:Office or remote;salary_range:v:Advertised range|close:Close a job posting:Stops accepting applications.
candidates|candidate|A job applicant moving through interview stages.|name:v:Full name;email:v:Email;resume_url:t:CV file;stage:v:applied, screening, interview or offer|hire:Hire a candidate:Creates an employee from an accepted offer.
interviews|interview|A scheduled interview between a candidate and interviewers.|candidate_id:fk:candidates:Candidate;scheduled_at:ts:Start time;feedback:t:Interviewer notes|
expense_reports|expense report|Business expenses an employee claims back: receipts, amounts and categories.|employee_id:fk:employees:Claimant;total:m:Total claimed;submitted_at:ts:Submission time|reimburse:Reimburse an expense report:Pays the approved expenses with the next payroll.
assets|asset|Company equipment (laptop, phone) tracked with its holder.|serial_number:v:Serial number;type:v:laptop, phone or monitor;assigned_to:fk:employees:Holder|
#projects
projects|project|A body of work with tasks, members and a deadline.|name:v:Project name;owner_id:fk:users:Owner;due_on:d:Deadline;status:v:active, on_hold or done|archive:Archive a project:Makes a finished project read-only and hides it from lists.
tasks|task|A unit of work in a project with an assignee and a due date.|title:v:Task title;project_id:fk:projects:Project;assignee_id:fk:users:Who does it;due_on:d:Due date;status:v:todo, in_progress or done|complete:Complete a task:Marks the task done and notifies watchers.;move:Move a task:Moves the task to another project or column.
milestones|milestone|A project checkpoint grouping tasks due by a date.|name:v:Milestone name;project_id:fk:projects:Project;due_on:d:Target date|
sprints|sprint|A fixed-length iteration of an agile team.|name:v:Sprint name;starts_on:d:Start;ends_on:d:End;goal:t:Sprint goal|start:Start a sprint:Begins the sprint and locks its scope.;complete:Complete a sprint:Ends the sprint and moves unfinished tasks to the backlog.
boards|board|A kanban board with columns tasks move across.|name:v:Board name;project_id:fk:projects:Project;columns:j:Column names and WIP limits|
time_entries|time entry|Time tracked on a task with a timer or by hand.|task_id:fk:tasks:Task;user_id:fk:users:Who tracked;minutes:i:Duration;billable:bo:Billable to a client|
#content
pages|page|A web page in the CMS with a title, slug and content blocks.|title:v:Page title;slug:v:URL path;blocks:j:Content blocks;published_at:ts:Publication time|publish:Publish a page:Makes the page live on the website.;unpublish:Unpublish a page:Takes the page offline.
blog_posts|blog post|An article on the company blog with author, cover image and tags.|title:v:Headline;author_id:fk:users:Author;body:t:Markdown body;published_at:ts:Publication time|schedule:Schedule a blog post:Publishes the post automatically at a future time.
media_assets|media asset|An image, video or document in the media library.|filename:v:Original file name;mime_type:v:Content type;size_bytes:b:File size;alt_text:t:Accessibility text|
forms|form|A web form (contact, signup) and its fields.|name:v:Form name;fields:j:Field definitions;notify_email:v:Who gets submissions|
form_submissions|form submission|Data a visitor entered in a web form.|form_id:fk:forms:Form;data:j:Submitted values;submitted_at:ts:When|
menus|menu|A navigation menu of the website (header, footer).|name:v:Menu name;items:j:Links and labels|
redirects|redirect|A URL redirect from an old path to a new one (301 or 302).|from_path:v:Old path;to_url:t:Destination;status_code:i:301 or 302|
#marketing
campaigns|campaign|An email marketing campaign sent to a segment.|name:v:Campaign name;subject:v:Email subject line;segment_id:fk:segments:Audience;scheduled_at:ts:Send time|send:Send a campaign:Sends the campaign now to every contact in the segment.;schedule:Schedule a campaign:Queues the campaign for a later send time.
segments|segment|A dynamic audience of contacts matching filter rules.|name:v:Segment name;rules:j:Filter conditions;size:i:Contacts matching|
email_templates|email template|A reusable HTML email layout with placeholders.|name:v:Template name;subject:v:Default subject;html:t:HTML body|
newsletter_subscribers|newsletter subscriber|An email address that opted in to the newsletter (double opt-in).|email:v:Subscriber email;confirmed_at:ts:Double opt-in confirmation;source:v:Where they signed up|unsubscribe:Unsubscribe from the newsletter:Removes the address from all future newsletter sends.
landing_pages|landing page|A campaign page built to convert visitors into leads.|title:v:Page title;conversion_rate:m:Visitors converted;campaign_id:fk:campaigns:Campaign|
referrals|referral|A customer inviting a friend in exchange for a reward.|referrer_id:fk:customers:Who referred;referred_email:v:Friend's email;reward_status:v:pending or granted|
loyalty_accounts|loyalty account|A customer's loyalty program membership and points balance.|customer_id:fk:customers:Member;points:i:Points balance;tier:v:bronze, silver or gold|redeem:Redeem loyalty points:Exchanges points for a discount or a reward.
#analytics
dashboards|dashboard|A page of charts and metrics users assemble.|name:v:Dashboard name;owner_id:fk:users:Owner;layout:j:Widget positions|share:Share a dashboard:Gives other users or a public link access to the dashboard.
reports|report|A saved query over business data rendered as a table or chart.|name:v:Report name;query:t:Report definition;schedule:v:Cron schedule for emailing it|run:Run a report:Executes the report now and returns the rows.
metrics|metric|A named business metric (MRR, churn, conversion rate) and how it is computed.|name:v:Metric name;formula:t:Definition;unit:v:Unit|
alerts|alert|A rule that notifies when a metric crosses a threshold.|metric_id:fk:metrics:Watched metric;threshold:m:Threshold;channel:v:email, slack or webhook|mute:Mute an alert:Silences an alert for a period of time.
experiments|experiment|An A/B test comparing variants of a page or feature.|name:v:Experiment name;variants:j:Variants and traffic split;started_at:ts:Start;winner:v:Winning variant|stop:Stop an experiment:Ends the A/B test and keeps the winning variant.
tracking_events|tracking event|A product analytics event sent by the website or app (page view, click).|name:v:Event name;user_id:fk:users:User;properties:j:Event properties;occurred_at:ts:When|
#messaging
notifications|notification|An in-app, push or email message telling a user something happened.|user_id:fk:users:Recipient;title:v:Title;read_at:ts:When it was read;channel:v:in_app, push or email|mark-read:Mark a notification as read:Clears the unread badge for this notification.
conversations|conversation|A chat thread between a customer and the team (live chat, messenger).|channel:v:web_chat, whatsapp or email;customer_id:fk:customers:Customer;status:v:open, snoozed or closed|snooze:Snooze a conversation:Hides the conversation until a time or a reply.
messages|message|One message in a conversation, from a customer or an agent.|conversation_id:fk:conversations:Conversation;author_id:fk:users:Sender;body:t:Text;sent_at:ts:When sent|
sms_messages|SMS message|A text message sent to a phone number.|to_number:v:Recipient phone;body:t:Text;status:v:queued, sent, delivered or failed|
#files
files|file|A document uploaded to shared storage.|name:v:File name;size_bytes:b:Size;checksum:v:SHA-256;folder_id:fk:folders:Folder|
folders|folder|A directory files are organised in.|name:v:Folder name;parent_id:fk:folders:Parent folder|
documents|document|A contract or agreement sent for electronic signature.|title:v:Document title;status:v:draft, sent or signed;signed_at:ts:When fully signed|send-for-signature:Send a document for signature:Emails the document to the signers to e-sign.
#integrations
webhook_endpoints|webhook endpoint|A URL that receives event notifications by HTTP POST, signed with a secret.|url:t:Receiver URL;events:j:Subscribed event types;secret:v:Signing secret;disabled:bo:Stopped after failures|rotate-secret:Rotate a webhook secret:Issues a new signing secret for the endpoint.;test:Send a test webhook:Sends a sample event to check that the endpoint works.
integrations|integration|A connection to a third-party app (Slack, Salesforce, Google Drive) with its OAuth tokens.|provider:v:Third-party app;status:v:connected or error;connected_by:fk:users:Who connected|sync:Sync an integration:Pulls the latest data from the connected app now.
scheduled_jobs|scheduled job|A background job run on a cron schedule.|name:v:Job name;cron:v:Cron expression;last_run_at:ts:Last run;enabled:bo:Whether it runs|trigger:Trigger a job:Runs the job now outside its schedule.
feature_flags|feature flag|A switch that turns a feature on for some users or workspaces.|key:v:Flag key used in code;enabled:bo:Globally on;rollout_percentage:i:Share of users|toggle:Toggle a feature flag:Turns the flag on or off.
#scheduling
appointments|appointment|A booked time slot between a customer and a staff member.|customer_id:fk:customers:Customer;staff_id:fk:users:Staff member;starts_at:ts:Start;ends_at:ts:End|reschedule:Reschedule an appointment:Moves the appointment to a new time and notifies both sides.;cancel:Cancel an appointment:Frees the slot and notifies the customer.
calendars|calendar|A staff member's calendar of availability.|owner_id:fk:users:Owner;timezone:v:Timezone;working_hours:j:Weekly hours|
rooms|room|A meeting room or resource that can be booked.|name:v:Room name;capacity:i:Seats;floor:v:Floor|
business_hours|business hours entry|Opening hours per weekday and holidays, used for SLAs.|name:v:Schedule name;timezone:v:Timezone;hours:j:Hours per weekday|
#compliance
consents|consent|A record of a person agreeing to terms, cookies or marketing (GDPR).|subject_email:v:Who consented;purpose:v:marketing, analytics or terms;granted_at:ts:When;withdrawn_at:ts:When withdrawn|withdraw:Withdraw consent:Records that the person no longer agrees.
data_export_requests|data export request|A GDPR request for a copy of someone's personal data.|subject_email:v:Data subject;status:v:pending, ready or expired;download_url:t:Archive link|
deletion_requests|deletion request|A right-to-be-forgotten request to erase someone's personal data.|subject_email:v:Data subject;scheduled_for:ts:When the data is erased;status:v:pending or completed|
contracts|contract|A customer contract with term, value and renewal date.|customer_id:fk:customers:Customer;value:m:Contract value;renews_on:d:Renewal date|renew:Renew a contract:Extends the contract for another term.
#learning
surveys|survey|A questionnaire sent to customers or employees.|title:v:Survey title;questions:j:Questions;closes_at:ts:Deadline|
survey_responses|survey response|One person's answers to a survey (NPS score, comments).|survey_id:fk:surveys:Survey;answers:j:Answers;nps_score:i:0 to 10|
courses|course|An online training course with lessons.|title:v:Course title;instructor_id:fk:users:Instructor;duration_minutes:i:Length|
enrollments|enrollment|A learner's registration in a course and their progress.|course_id:fk:courses:Course;user_id:fk:users:Learner;progress_percent:i:Completion|
certificates|certificate|A completion certificate issued to a learner.|enrollment_id:fk:enrollments:Enrollment;issued_at:ts:Issue date;verification_code:v:Public code|
"#;

struct FieldDef {
    name: String,
    sql: String,
    references: Option<String>,
    description: String,
}

struct ActionDef {
    verb: String,
    summary: String,
    description: String,
}

struct Resource {
    tag: String,
    /// `invoice_line_items`: the table and (with `-`) the path.
    table: String,
    singular: String,
    description: String,
    fields: Vec<FieldDef>,
    actions: Vec<ActionDef>,
}

impl Resource {
    fn path(&self) -> String {
        format!("/{}", self.table.replace('_', "-"))
    }

    fn plural(&self) -> String {
        plural_of(&self.singular)
    }

    /// `invoice_line_item`: prefix of sub-resource tables.
    fn singular_snake(&self) -> String {
        self.singular.to_lowercase().replace([' ', '-'], "_")
    }

    fn a(&self) -> String {
        article(&self.singular)
    }
}

fn plural_of(s: &str) -> String {
    if s.ends_with("business hours entry") {
        return "business hours entries".into();
    }
    if let Some(stem) = s.strip_suffix('y') {
        if !stem.ends_with(['a', 'e', 'o', 'u']) {
            return format!("{stem}ies");
        }
    }
    if s.ends_with('s') || s.ends_with("ch") || s.ends_with('x') {
        return format!("{s}es");
    }
    format!("{s}s")
}

fn article(s: &str) -> String {
    let first = s.chars().next().unwrap_or('x').to_ascii_lowercase();
    let an = matches!(first, 'a' | 'e' | 'i' | 'o' | 'u') || s.starts_with("SLA") || s.starts_with("SMS") || s.starts_with("SSO");
    format!("{} {s}", if an { "an" } else { "a" })
}

fn parse_resources() -> Vec<Resource> {
    let mut out = Vec::new();
    let mut tag = String::new();
    for line in RESOURCES.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(t) = line.strip_prefix('#') {
            tag = t.to_owned();
            continue;
        }
        let parts: Vec<&str> = line.split('|').collect();
        assert_eq!(parts.len(), 5, "{line}");
        let fields = parts[3]
            .split(';')
            .filter(|f| !f.is_empty())
            .map(|f| {
                let p: Vec<&str> = f.split(':').collect();
                let (sql, references, desc) = match p[1] {
                    "fk" => ("bigint".to_owned(), Some(p[2].to_owned()), p[3..].join(":")),
                    t => (
                        match t {
                            "v" => "varchar(255)",
                            "t" => "text",
                            "i" => "integer",
                            "b" => "bigint",
                            "m" => "numeric(12,2)",
                            "bo" => "boolean",
                            "ts" => "timestamptz",
                            "d" => "date",
                            "j" => "jsonb",
                            other => panic!("type {other} in {line}"),
                        }
                        .to_owned(),
                        None,
                        p[2..].join(":"),
                    ),
                };
                FieldDef { name: p[0].to_owned(), sql, references, description: desc }
            })
            .collect();
        let actions = parts[4]
            .split(';')
            .filter(|a| !a.is_empty())
            .map(|a| {
                let p: Vec<&str> = a.splitn(3, ':').collect();
                ActionDef { verb: p[0].to_owned(), summary: p[1].to_owned(), description: p[2].to_owned() }
            })
            .collect();
        out.push(Resource {
            tag: tag.clone(),
            table: parts[0].to_owned(),
            singular: parts[1].to_owned(),
            description: parts[2].to_owned(),
            fields,
            actions,
        });
    }
    out
}

// ---- entry construction ----------------------------------------------------------------

fn json_type(sql: &str) -> Value {
    match sql {
        "integer" | "bigint" => json!({"type": "integer"}),
        "numeric(12,2)" => json!({"type": "string", "format": "decimal"}),
        "boolean" => json!({"type": "boolean"}),
        "timestamptz" => json!({"type": "string", "format": "date-time"}),
        "date" => json!({"type": "string", "format": "date"}),
        "jsonb" => json!({"type": "object"}),
        _ => json!({"type": "string"}),
    }
}

fn object_schema(fields: &[FieldDef], with_id: bool, required: bool) -> Value {
    let mut props = Map::new();
    if with_id {
        props.insert("id".into(), json!({"type": "integer", "description": "Unique identifier"}));
    }
    for f in fields {
        let mut s = json_type(&f.sql);
        s["description"] = json!(f.description);
        props.insert(f.name.clone(), s);
    }
    if with_id {
        props.insert("created_at".into(), json!({"type": "string", "format": "date-time"}));
        props.insert("updated_at".into(), json!({"type": "string", "format": "date-time"}));
    }
    let mut schema = json!({"type": "object", "properties": props});
    if required {
        schema["required"] = json!(fields.iter().take(2).map(|f| f.name.clone()).collect::<Vec<_>>());
    }
    schema
}

fn param(name: &str, location: ParamLocation, description: &str, required: bool, schema: Value) -> Parameter {
    Parameter { name: name.into(), location, description: description.into(), required, schema, example: None }
}

fn json_body(schema: Value) -> Vec<Body> {
    vec![Body { content_type: "application/json".into(), schema, example: None }]
}

fn response(status: &str, description: &str, schema: Option<Value>) -> ResponseSpec {
    ResponseSpec { status: status.into(), description: description.into(), content: schema.map(json_body).unwrap_or_default() }
}

fn error_responses(not_found: bool) -> Vec<ResponseSpec> {
    let err = json!({"type": "object", "properties": {"error": {"type": "string"}, "message": {"type": "string"}}});
    let mut v = vec![response("401", "Missing or invalid bearer token", Some(err.clone()))];
    if not_found {
        v.push(response("404", "No such record in this workspace", Some(err.clone())));
    }
    v.push(response("429", "Rate limited: retry after the Retry-After header", None));
    v
}

#[allow(clippy::too_many_arguments)]
fn op(
    method: &str,
    path: String,
    operation_id: String,
    summary: String,
    description: String,
    tags: Vec<String>,
    parameters: Vec<Parameter>,
    request: Option<Value>,
    mut responses: Vec<ResponseSpec>,
) -> Entry {
    let not_found = path.contains('{');
    responses.extend(error_responses(not_found));
    Entry::ApiOperation(ApiOperation {
        method: method.into(),
        path,
        operation_id,
        summary,
        description,
        tags,
        auth: vec!["bearerAuth".into()],
        parameters,
        request_body: request.map(|s| RequestBody { description: String::new(), required: true, content: json_body(s) }),
        responses,
        examples: vec![],
        deprecated: false,
    })
}

fn camel(words: &str) -> String {
    let mut out = String::new();
    for (i, w) in words.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).enumerate() {
        let w = w.to_lowercase();
        if i == 0 {
            out.push_str(&w);
        } else {
            let mut cs = w.chars();
            if let Some(f) = cs.next() {
                out.extend(f.to_uppercase());
                out.push_str(cs.as_str());
            }
        }
    }
    out
}

fn id_param(r: &Resource) -> Parameter {
    param("id", ParamLocation::Path, &format!("Id of the {}", r.singular), true, json!({"type": "integer", "minimum": 1}))
}

fn list_params() -> Vec<Parameter> {
    vec![
        param("limit", ParamLocation::Query, "Page size", false, json!({"type": "integer", "minimum": 1, "maximum": 100, "default": 20})),
        param("cursor", ParamLocation::Query, "Opaque cursor from the previous page's next_cursor", false, json!({"type": "string"})),
        param(
            "created_after",
            ParamLocation::Query,
            "Only records created after this instant",
            false,
            json!({"type": "string", "format": "date-time"}),
        ),
    ]
}

fn page_of(item: Value) -> Value {
    json!({"type": "object", "properties": {"data": {"type": "array", "items": item}, "next_cursor": {"type": "string", "nullable": true}}})
}

/// Sub-resources every resource has: (path segment, singular, description template with
/// `{s}` / `{p}`, operations among list/create/get/update/delete/restore, table columns).
const SUBS: &[(&str, &str, &str, &str, &str)] = &[
    ("attachments", "attachment", "Files uploaded to the {s}: PDFs, images, spreadsheets. Upload with multipart/form-data; the file is virus-scanned before it can be downloaded.", "list,create,get,update,delete", "file_name:v:Original file name;content_type:v:MIME type;size_bytes:b:Size in bytes;storage_key:v:Object storage key"),
    ("comments", "comment", "The discussion thread on the {s}. Comments support markdown and @mentions, which notify the people mentioned.", "list,create,get,update,delete", "body:t:Markdown text;author_id:fk:users:Who wrote it;edited_at:ts:Last edit"),
    ("notes", "note", "Private internal notes on the {s}, visible to staff only, never to the customer.", "list,create,get,update,delete", "body:t:Note text;author_id:fk:users:Who wrote it;pinned:bo:Shown first"),
    ("tags", "tag", "Labels that group and filter {p}.", "list,create,delete", "label:v:Tag text;color:v:Hex color"),
    ("events", "event", "The timeline of what happened to the {s}: created, updated, status changes, emails sent.", "list,get", "type:v:Event type;payload:j:Event data;occurred_at:ts:When"),
    ("audit-log", "audit log entry", "Who changed what on the {s} and when: actor, IP address, before and after values. Kept for seven years for compliance.", "list,get", "actor_id:fk:users:Who made the change;ip_address:v:Client IP;changes:j:Before and after values;changed_at:ts:When"),
    ("watchers", "watcher", "Users who get notified when the {s} changes (followers, subscribers to updates).", "list,create,delete", "user_id:fk:users:Who follows;notify_by:v:email or in_app"),
    ("versions", "version", "Earlier revisions of the {s}, one per save. A version can be restored, which rolls the {s} back to it.", "list,get,restore", "version_number:i:Revision number;snapshot:j:The record as it was;saved_by:fk:users:Who saved"),
    ("permissions", "permission", "Access control entries: which users, teams or roles may view, edit or share the {s}.", "list,create,get,update,delete", "principal_type:v:user, team or role;principal_id:b:Who;access:v:view, edit or owner"),
    ("custom-fields", "custom field value", "Extra attributes defined per workspace on {p}, stored as key/value pairs.", "list,create,get,update,delete", "field_key:v:Custom field key;value:j:Field value"),
    ("links", "link", "Relations between the {s} and other records: duplicates, blocks, relates to, parent of.", "list,create,delete", "target_type:v:Linked record type;target_id:b:Linked record;relation:v:duplicates, blocks or relates_to"),
    ("reminders", "reminder", "Scheduled reminder emails or notifications about the {s}, sent at a chosen time.", "list,create,get,update,delete", "remind_at:ts:When to send;user_id:fk:users:Who is reminded;message:t:Reminder text"),
    ("translations", "translation", "Localised name and description of the {s} per locale (en, fr, de, zh-CN, ja).", "list,put,delete", "locale:v:Locale code;name:v:Translated name;description:t:Translated description"),
];

fn sub_fields(spec: &str) -> Vec<FieldDef> {
    spec.split(';')
        .map(|f| {
            let p: Vec<&str> = f.split(':').collect();
            if p[1] == "fk" {
                FieldDef { name: p[0].into(), sql: "bigint".into(), references: Some(p[2].into()), description: p[3].into() }
            } else {
                let sql = match p[1] {
                    "v" => "varchar(255)",
                    "t" => "text",
                    "b" => "bigint",
                    "i" => "integer",
                    "bo" => "boolean",
                    "ts" => "timestamptz",
                    _ => "jsonb",
                };
                FieldDef { name: p[0].into(), sql: sql.into(), references: None, description: p[2].into() }
            }
        })
        .collect()
}

fn resource_ops(r: &Resource, out: &mut Vec<Entry>) {
    let s = &r.singular;
    let p = r.plural();
    let a = r.a();
    let base = r.path();
    let tags = vec![r.tag.clone(), p.clone()];
    let item = object_schema(&r.fields, true, false);
    let input = object_schema(&r.fields, false, true);
    let partial = object_schema(&r.fields, false, false);
    let field_list = r.fields.iter().map(|f| f.name.replace('_', " ")).collect::<Vec<_>>().join(", ");
    let oid = |verb: &str, what: &str| camel(&format!("{verb} {what}"));
    out.push(op(
        "GET",
        base.clone(),
        oid("list", &p),
        format!("List {p}"),
        format!("Returns the {p} of the workspace, newest first, 20 per page by default. Filter by creation date; follow next_cursor for the next page. {}", r.description),
        tags.clone(),
        list_params(),
        None,
        vec![response("200", &format!("A page of {p}"), Some(page_of(item.clone())))],
    ));
    out.push(op(
        "POST",
        base.clone(),
        oid("create", s),
        format!("Create {a}"),
        format!("Creates a new {s}. {} Returns 201 with the stored {s}, including its id.", r.description),
        tags.clone(),
        vec![param("Idempotency-Key", ParamLocation::Header, "Makes retries safe", false, json!({"type": "string"}))],
        Some(input.clone()),
        vec![response("201", &format!("The new {s}"), Some(item.clone())), response("422", "Validation failed", None)],
    ));
    out.push(op(
        "GET",
        format!("{base}/{{id}}"),
        oid("get", s),
        format!("Get {a}"),
        format!("Retrieves one {s} by its id, with all its fields ({field_list})."),
        tags.clone(),
        vec![id_param(r)],
        None,
        vec![response("200", &format!("The {s}"), Some(item.clone()))],
    ));
    out.push(op(
        "PATCH",
        format!("{base}/{{id}}"),
        oid("update", s),
        format!("Update {a}"),
        format!("Partially updates {a}: only the fields you send are changed ({field_list})."),
        tags.clone(),
        vec![id_param(r)],
        Some(partial),
        vec![response("200", &format!("The updated {s}"), Some(item.clone())), response("422", "Validation failed", None)],
    ));
    out.push(op(
        "PUT",
        format!("{base}/{{id}}"),
        oid("replace", s),
        format!("Replace {a}"),
        format!("Replaces every field of the {s} with the request body. Optional fields you leave out are reset to their defaults."),
        tags.clone(),
        vec![id_param(r)],
        Some(input.clone()),
        vec![response("200", &format!("The replaced {s}"), Some(item.clone()))],
    ));
    out.push(op(
        "DELETE",
        format!("{base}/{{id}}"),
        oid("delete", s),
        format!("Delete {a}"),
        format!("Permanently deletes the {s}. This cannot be undone: the row is moved to the archive schema for 30 days, then purged."),
        tags.clone(),
        vec![id_param(r)],
        None,
        vec![response("204", "Deleted", None)],
    ));
    out.push(op(
        "GET",
        format!("{base}/search"),
        oid("search", &p),
        format!("Search {p}"),
        format!("Full-text search over {p} by keyword, matching {field_list}. Tolerates typos; results are ranked by relevance."),
        tags.clone(),
        vec![param("q", ParamLocation::Query, "Search words", true, json!({"type": "string", "minLength": 1}))],
        None,
        vec![response("200", "Matching records, best first", Some(page_of(item.clone())))],
    ));
    out.push(op(
        "POST",
        format!("{base}/export"),
        oid("export", &p),
        format!("Export {p}"),
        format!("Starts an export of all {p} as a CSV or JSON file. The download link is emailed when the file is ready."),
        tags.clone(),
        vec![],
        Some(json!({"type": "object", "properties": {"format": {"type": "string", "enum": ["csv", "json"]}, "email": {"type": "string", "format": "email"}}})),
        vec![response("202", "Export started", Some(json!({"type": "object", "properties": {"export_id": {"type": "string"}}})))],
    ));
    for act in &r.actions {
        out.push(op(
            "POST",
            format!("{base}/{{id}}/{}", act.verb),
            camel(&act.summary),
            act.summary.clone(),
            act.description.clone(),
            tags.clone(),
            vec![id_param(r)],
            None,
            vec![
                response("200", &format!("The {s} after the change"), Some(item.clone())),
                response("409", "Not allowed in the current status", None),
            ],
        ));
    }
    out.push(op(
        "POST",
        format!("{base}/bulk"),
        oid("bulk upsert", &p),
        format!("Create or update {p} in bulk"),
        format!("Creates or updates up to 1,000 {p} in one request. Records with an id are updated, the others created."),
        tags.clone(),
        vec![],
        Some(json!({"type": "object", "properties": {"records": {"type": "array", "items": input.clone()}}})),
        vec![response("200", "Per-record results", None)],
    ));
    out.push(op(
        "POST",
        format!("{base}/import"),
        oid("import", &p),
        format!("Import {p} from a file"),
        format!("Imports {p} from an uploaded CSV or XLSX spreadsheet, mapping columns to fields. Runs in the background."),
        tags.clone(),
        vec![],
        Some(json!({"type": "object", "properties": {"file_id": {"type": "string"}, "column_mapping": {"type": "object"}}})),
        vec![response("202", "Import job started", None)],
    ));
    out.push(op(
        "GET",
        format!("{base}/count"),
        oid("count", &p),
        format!("Count {p}"),
        format!("Returns how many {p} match the filters, without returning them."),
        tags.clone(),
        vec![param(
            "created_after",
            ParamLocation::Query,
            "Only records created after this instant",
            false,
            json!({"type": "string", "format": "date-time"}),
        )],
        None,
        vec![response("200", "The count", Some(json!({"type": "object", "properties": {"count": {"type": "integer"}}})))],
    ));
    out.push(op(
        "POST",
        format!("{base}/{{id}}/duplicate"),
        oid("duplicate", s),
        format!("Duplicate {a}"),
        format!("Makes a copy of the {s} under a new id; attachments and comments are not copied."),
        tags.clone(),
        vec![id_param(r)],
        None,
        vec![response("201", "The copy", Some(item.clone()))],
    ));
    for (seg, sub, desc, ops, cols) in SUBS {
        let desc = desc.replace("{s}", s).replace("{p}", &p);
        let sub_p = plural_of(sub);
        let sub_item = object_schema(&sub_fields(cols), true, false);
        let sub_in = object_schema(&sub_fields(cols), false, true);
        let coll = format!("{base}/{{id}}/{seg}");
        let id_name = format!("{}_id", sub.replace(' ', "_"));
        let one = format!("{coll}/{{{id_name}}}");
        let sub_id = param(&id_name, ParamLocation::Path, &format!("Id of the {sub}"), true, json!({"type": "integer"}));
        for o in ops.split(',') {
            let (method, path, summary, params, body, resp): (&str, String, String, Vec<Parameter>, Option<Value>, ResponseSpec) = match o {
                "list" => (
                    "GET",
                    coll.clone(),
                    format!("List {sub_p} of {a}"),
                    vec![id_param(r)],
                    None,
                    response("200", &format!("The {sub_p}"), Some(page_of(sub_item.clone()))),
                ),
                "create" => (
                    "POST",
                    coll.clone(),
                    format!("Add {} to {a}", article(sub)),
                    vec![id_param(r)],
                    Some(sub_in.clone()),
                    response("201", &format!("The new {sub}"), Some(sub_item.clone())),
                ),
                "get" => (
                    "GET",
                    one.clone(),
                    format!("Get {} of {a}", article(sub)),
                    vec![id_param(r), sub_id.clone()],
                    None,
                    response("200", &format!("The {sub}"), Some(sub_item.clone())),
                ),
                "update" => (
                    "PATCH",
                    one.clone(),
                    format!("Update {} of {a}", article(sub)),
                    vec![id_param(r), sub_id.clone()],
                    Some(sub_in.clone()),
                    response("200", &format!("The updated {sub}"), Some(sub_item.clone())),
                ),
                "delete" => (
                    "DELETE",
                    one.clone(),
                    format!("Remove {} from {a}", article(sub)),
                    vec![id_param(r), sub_id.clone()],
                    None,
                    response("204", "Removed", None),
                ),
                "restore" => (
                    "POST",
                    format!("{one}/restore"),
                    format!("Restore {} of {a}", article(sub)),
                    vec![id_param(r), sub_id.clone()],
                    None,
                    response("200", &format!("The {s} as restored"), Some(item.clone())),
                ),
                "put" => (
                    "PUT",
                    format!("{coll}/{{locale}}"),
                    format!("Set the {sub} of {a} for a locale"),
                    vec![
                        id_param(r),
                        param("locale", ParamLocation::Path, "Locale code such as fr or zh-CN", true, json!({"type": "string"})),
                    ],
                    Some(sub_in.clone()),
                    response("200", &format!("The {sub}"), Some(sub_item.clone())),
                ),
                other => panic!("{other}"),
            };
            let delete_desc = if o == "delete" { format!("{desc} Removing it does not delete the {s}.") } else { desc.clone() };
            out.push(op(method, path, camel(&summary), summary, delete_desc, tags.clone(), params, body, vec![resp]));
        }
    }
    for (seg, summary, desc) in [
        (
            "created-per-day",
            format!("{p} created per day"),
            format!("Number of {p} created per day over a date range, for charts and trend lines."),
        ),
        ("by-status", format!("{p} by status"), format!("How many {p} there are in each status right now, for a breakdown chart.")),
        ("growth", format!("Growth of {p}"), format!("Week-over-week and month-over-month growth of the number of {p}.")),
    ] {
        let mut summary = summary;
        if let Some(f) = summary.get(..1) {
            summary = format!("{}{}", f.to_uppercase(), &summary[1..]);
        }
        out.push(op(
            "GET",
            format!("/reports/{}/{seg}", r.table.replace('_', "-")),
            camel(&format!("report {p} {seg}")),
            summary,
            desc,
            vec!["reports".into(), p.clone()],
            vec![
                param("from", ParamLocation::Query, "Start date", true, json!({"type": "string", "format": "date"})),
                param("to", ParamLocation::Query, "End date", true, json!({"type": "string", "format": "date"})),
            ],
            None,
            vec![response("200", "Data points", Some(json!({"type": "array", "items": {"type": "object", "properties": {"bucket": {"type": "string"}, "value": {"type": "number"}}}})))],
        ));
    }
}

fn column(name: &str, sql: &str, nullable: bool, description: &str) -> Column {
    Column { name: name.into(), data_type: sql.into(), nullable, default: None, description: description.into(), examples: vec![] }
}

fn table(
    schema: &str,
    name: &str,
    description: String,
    cols: Vec<Column>,
    fks: Vec<ForeignKey>,
    indexes: Vec<Index>,
    queries: Vec<ExampleQuery>,
) -> Entry {
    Entry::Table(Table {
        schema: schema.into(),
        name: name.into(),
        description,
        columns: cols,
        primary_key: vec!["id".into()],
        foreign_keys: fks,
        indexes,
        example_queries: queries,
    })
}

fn fk(table: &str, col: &str, target: &str) -> ForeignKey {
    ForeignKey {
        name: format!("{table}_{col}_fkey"),
        columns: vec![col.into()],
        references: format!("public.{target}"),
        referenced_columns: vec!["id".into()],
    }
}

fn base_columns(fields: &[FieldDef]) -> Vec<Column> {
    let mut cols = vec![column("id", "bigint", false, "Primary key"), column("workspace_id", "bigint", false, "Owning workspace (tenant)")];
    for f in fields {
        cols.push(column(&f.name, &f.sql, f.references.is_none(), &f.description));
    }
    let mut created = column("created_at", "timestamptz", false, "When the row was inserted");
    created.default = Some("now()".into());
    cols.push(created);
    cols.push(column("updated_at", "timestamptz", false, "Last change"));
    cols
}

fn resource_tables(r: &Resource, out: &mut Vec<Entry>) {
    let s = &r.singular;
    let p = r.plural();
    let t = &r.table;
    let mut fks = vec![fk(t, "workspace_id", "workspaces")];
    fks.extend(r.fields.iter().filter_map(|f| f.references.as_ref().map(|target| fk(t, &f.name, target))));
    let mut indexes = vec![Index {
        name: format!("{t}_workspace_id_created_at_idx"),
        columns: vec!["workspace_id".into(), "created_at".into()],
        unique: false,
    }];
    indexes.extend(r.fields.iter().filter(|f| f.references.is_some()).map(|f| Index {
        name: format!("{t}_{}_idx", f.name),
        columns: vec![f.name.clone()],
        unique: false,
    }));
    let first = &r.fields[0].name;
    let queries = vec![
        ExampleQuery {
            description: format!("The latest {p} of a workspace"),
            sql: format!("SELECT * FROM public.{t} WHERE workspace_id = $1 ORDER BY created_at DESC LIMIT 20"),
        },
        ExampleQuery {
            description: format!("{p} by {}", first.replace('_', " ")),
            sql: format!("SELECT {first}, count(*) FROM public.{t} GROUP BY {first}"),
        },
    ];
    out.push(table("public", t, format!("{} One row per {s}.", r.description), base_columns(&r.fields), fks, indexes, queries));
    let prefix = r.singular_snake();
    for (seg, sub, desc, _, cols) in SUBS {
        let name = format!("{prefix}_{}", seg.replace('-', "_"));
        let fields = sub_fields(cols);
        let mut columns =
            vec![column("id", "bigint", false, "Primary key"), column(&format!("{prefix}_id"), "bigint", false, &format!("The {s}"))];
        columns.extend(fields.iter().map(|f| column(&f.name, &f.sql, true, &f.description)));
        columns.push(column("created_at", "timestamptz", false, "When the row was inserted"));
        let mut fks = vec![fk(&name, &format!("{prefix}_id"), t)];
        fks.extend(fields.iter().filter_map(|f| f.references.as_ref().map(|target| fk(&name, &f.name, target))));
        let description = format!("{} One row per {sub} of {}.", desc.replace("{s}", s).replace("{p}", &p), r.a());
        out.push(table(
            "public",
            &name,
            description,
            columns,
            fks,
            vec![Index { name: format!("{name}_{prefix}_id_idx"), columns: vec![format!("{prefix}_id")], unique: false }],
            vec![],
        ));
    }
    let mut archived = base_columns(&r.fields);
    archived.push(column("deleted_at", "timestamptz", false, "When it was deleted"));
    archived.push(column("deleted_by", "bigint", true, "Who deleted it"));
    out.push(table(
        "archive",
        t,
        format!("Deleted {p}, kept for 30 days after deletion so they can be restored, then purged by a nightly job."),
        archived,
        vec![],
        vec![Index { name: format!("archive_{t}_deleted_at_idx"), columns: vec!["deleted_at".into()], unique: false }],
        vec![],
    ));
    out.push(table(
        "analytics",
        &format!("{t}_daily"),
        format!(
            "Daily rollup of {p}: how many were created, updated and deleted per workspace per day. Filled by the nightly aggregation job."
        ),
        vec![
            column("day", "date", false, "Day (UTC)"),
            column("workspace_id", "bigint", false, "Workspace"),
            column("created_count", "integer", false, &format!("{p} created that day")),
            column("updated_count", "integer", false, &format!("{p} updated that day")),
            column("deleted_count", "integer", false, &format!("{p} deleted that day")),
        ],
        vec![],
        vec![],
        vec![ExampleQuery {
            description: "Last 30 days".into(),
            sql: format!("SELECT day, created_count FROM analytics.{t}_daily WHERE day > now() - interval '30 days'"),
        }],
    ));
}

fn legacy_ops(r: &Resource, out: &mut Vec<Entry>) {
    let p = r.plural();
    for (method, path, summary) in [
        ("GET", format!("/v1{}", r.path()), format!("List {p} (v1)")),
        ("GET", format!("/v1{}/{{id}}", r.path()), format!("Get {} (v1)", r.a())),
    ] {
        if let Entry::ApiOperation(mut o) = op(
            method,
            path,
            camel(&format!("legacy {summary}")),
            summary,
            format!("Version 1 of the endpoint, kept for old integrations. Deprecated: use the unversioned {} endpoints.", p),
            vec![r.tag.clone(), "legacy".into()],
            vec![],
            None,
            vec![response("200", "OK", None)],
        ) {
            o.deprecated = true;
            out.push(Entry::ApiOperation(o));
        }
    }
}

fn simple(method: &str, path: &str, summary: &str, description: &str, tag: &str, auth: bool) -> Entry {
    let mut e = op(
        method,
        path.into(),
        camel(summary),
        summary.into(),
        description.into(),
        vec![tag.into()],
        vec![],
        None,
        vec![response("200", "OK", None)],
    );
    if let Entry::ApiOperation(o) = &mut e {
        if !auth {
            o.auth.clear();
        }
    }
    e
}

fn global_ops() -> Vec<Entry> {
    vec![
        simple(
            "POST",
            "/auth/login",
            "Sign in",
            "Exchanges an email and password for an access token (JWT, 15 minutes) and a refresh token. Locked accounts get 423.",
            "auth",
            false,
        ),
        simple(
            "POST",
            "/auth/refresh",
            "Refresh the access token",
            "Exchanges a refresh token for a new access token; the refresh token rotates.",
            "auth",
            false,
        ),
        simple("POST", "/auth/logout", "Sign out", "Revokes the refresh token of the current session.", "auth", true),
        simple(
            "POST",
            "/auth/password-reset",
            "Request a password reset",
            "Emails a link to choose a new password to the account's address, if it exists.",
            "auth",
            false,
        ),
        simple(
            "POST",
            "/auth/password-reset/confirm",
            "Set a new password",
            "Sets the new password with the token from the reset email.",
            "auth",
            false,
        ),
        simple(
            "POST",
            "/auth/mfa/totp",
            "Enrol an authenticator app",
            "Starts two-factor authentication with a TOTP app: returns the secret and a QR code.",
            "auth",
            true,
        ),
        simple("GET", "/me", "Get the current user", "The signed-in user's profile, roles and workspace.", "auth", true),
        simple(
            "PATCH",
            "/me",
            "Update my profile",
            "Changes the signed-in user's display name, avatar, locale and timezone.",
            "auth",
            true,
        ),
        simple(
            "GET",
            "/health",
            "Health check",
            "Liveness probe for load balancers: 200 when the service is up, with the version.",
            "system",
            false,
        ),
        simple("GET", "/metrics", "Prometheus metrics", "Service metrics in the Prometheus text format for scraping.", "system", false),
        simple("GET", "/openapi.json", "API description", "This API's OpenAPI 3.1 document.", "system", false),
        simple(
            "GET",
            "/search",
            "Search everything",
            "Searches across all record types of the workspace at once and returns mixed results.",
            "system",
            true,
        ),
        simple(
            "GET",
            "/webhooks/event-types",
            "List webhook event types",
            "Every event type a webhook endpoint can subscribe to, with a sample payload.",
            "integrations",
            true,
        ),
        simple(
            "POST",
            "/uploads",
            "Create an upload URL",
            "Returns a presigned URL to upload a large file directly to object storage.",
            "files",
            true,
        ),
        simple(
            "POST",
            "/batch",
            "Run several requests at once",
            "Executes up to 20 API calls in one HTTP request and returns every response.",
            "system",
            true,
        ),
    ]
}

fn cjk_op(method: &str, path: &str, summary: &str, description: &str, tag: &str) -> Entry {
    op(
        method,
        path.into(),
        String::new(),
        summary.into(),
        description.into(),
        vec![tag.into()],
        vec![],
        None,
        vec![response("200", "成功 / 成功 / 성공", None)],
    )
}

fn cjk_table(schema: &str, name: &str, description: &str, cols: &[(&str, &str, &str)]) -> Entry {
    let mut columns = vec![column("id", "bigint", false, "主键")];
    columns.extend(cols.iter().map(|(n, t, d)| column(n, t, true, d)));
    table(schema, name, description.into(), columns, vec![], vec![], vec![])
}

fn cjk_entries() -> Vec<Entry> {
    vec![
        cjk_op("POST", "/cn/orders", "创建订单", "根据购物车中的商品创建新订单，并锁定库存。", "商城"),
        cjk_op("POST", "/cn/orders/{order_id}/cancel", "取消订单", "取消尚未发货的订单，已支付的金额将原路退回。", "商城"),
        cjk_op("GET", "/cn/orders/{order_id}/logistics", "查询物流信息", "返回订单的快递公司、运单号和最新的物流轨迹。", "商城"),
        cjk_op("POST", "/cn/coupons/{coupon_id}/claim", "领取优惠券", "用户领取优惠券，每人限领一张，领取后七天内有效。", "营销"),
        cjk_op("POST", "/cn/refunds", "申请退款", "买家对已付款的订单申请退款，需要填写退款原因并上传凭证。", "售后"),
        cjk_op("GET", "/cn/products/{product_id}/reviews", "获取商品评价列表", "分页返回商品的用户评价、晒图和评分。", "商城"),
        cjk_op("POST", "/cn/members/points/exchange", "积分兑换", "会员使用积分兑换礼品或优惠券。", "会员"),
        cjk_op("PUT", "/cn/users/{user_id}/address", "修改收货地址", "更新用户默认的收货地址、联系人和手机号。", "会员"),
        cjk_op("POST", "/cn/payments/wechat", "微信支付下单", "调用微信支付统一下单接口，返回前端拉起支付所需的参数。", "支付"),
        cjk_op("POST", "/cn/invoices", "开具发票", "为已完成的订单开具增值税电子发票，并发送到用户邮箱。", "财务"),
        cjk_op("GET", "/cn/stores/nearby", "查找附近门店", "根据经纬度返回附近的线下门店和营业时间。", "门店"),
        cjk_op("POST", "/cn/sms/verification-code", "发送短信验证码", "向手机号发送六位数字验证码，五分钟内有效。", "账号"),
        cjk_table(
            "cn",
            "orders",
            "订单表，保存每一笔订单的金额、状态和收货信息。",
            &[("order_no", "varchar(32)", "订单号"), ("amount", "numeric(12,2)", "订单金额"), ("status", "varchar(16)", "订单状态")],
        ),
        cjk_table(
            "cn",
            "coupon_records",
            "优惠券领取记录，每个用户每次领取一行。",
            &[("user_id", "bigint", "用户"), ("coupon_id", "bigint", "优惠券"), ("claimed_at", "timestamptz", "领取时间")],
        ),
        cjk_table(
            "cn",
            "logistics_tracks",
            "物流轨迹表，记录每个运单经过的物流节点。",
            &[("waybill_no", "varchar(32)", "运单号"), ("node", "text", "物流节点描述"), ("tracked_at", "timestamptz", "时间")],
        ),
        cjk_table(
            "cn",
            "member_points",
            "会员积分流水，记录积分的获得与消耗明细。",
            &[("member_id", "bigint", "会员"), ("delta", "integer", "积分变动"), ("reason", "text", "变动原因")],
        ),
        cjk_op("POST", "/jp/shipments", "配送を手配する", "注文の商品を発送するために、配送業者に集荷を依頼します。", "物流"),
        cjk_op(
            "POST",
            "/jp/invoices/{invoice_id}/issue",
            "請求書を発行する",
            "下書きの請求書を確定し、取引先にメールで送付します。",
            "経理",
        ),
        cjk_op("GET", "/jp/stores/{store_id}/inventory", "店舗の在庫を確認する", "店舗ごとの商品の在庫数を返します。", "店舗"),
        cjk_op("POST", "/jp/points/grant", "ポイントを付与する", "購入金額に応じて会員にポイントを付与します。", "会員"),
        cjk_op("DELETE", "/jp/members/{member_id}", "会員を退会させる", "会員アカウントを削除し、個人情報を匿名化します。", "会員"),
        cjk_op("POST", "/jp/reservations", "予約を作成する", "来店予約を作成します。日時と人数を指定してください。", "予約"),
        cjk_op(
            "PATCH",
            "/jp/reservations/{reservation_id}",
            "予約を変更する",
            "予約の日時や人数を変更します。変更は前日まで可能です。",
            "予約",
        ),
        cjk_op("POST", "/jp/contact", "お問い合わせを送信する", "お客様からのお問い合わせをサポート窓口に送信します。", "サポート"),
        cjk_table(
            "jp",
            "shipments",
            "配送情報テーブル。運送会社、追跡番号、配達予定日を保存します。",
            &[("carrier", "varchar(64)", "運送会社"), ("tracking_no", "varchar(64)", "追跡番号"), ("eta", "date", "配達予定日")],
        ),
        cjk_table(
            "jp",
            "point_ledger",
            "ポイント履歴テーブル。ポイントの付与と利用を記録します。",
            &[("member_id", "bigint", "会員"), ("points", "integer", "ポイント数"), ("kind", "varchar(16)", "付与または利用")],
        ),
        cjk_table(
            "jp",
            "reservations",
            "予約テーブル。来店日時、人数、店舗を保存します。",
            &[("store_id", "bigint", "店舗"), ("visit_at", "timestamptz", "来店日時"), ("party_size", "integer", "人数")],
        ),
        cjk_op(
            "POST",
            "/kr/subscriptions/{subscription_id}/cancel",
            "구독 취소",
            "정기 결제 구독을 해지합니다. 남은 기간까지는 이용할 수 있습니다.",
            "결제",
        ),
        cjk_op("GET", "/kr/orders/{order_id}/delivery", "배송 조회", "주문의 배송 상태와 송장 번호를 조회합니다.", "주문"),
        cjk_op("POST", "/kr/coupons/{coupon_id}/download", "쿠폰 받기", "회원이 할인 쿠폰을 다운로드합니다.", "마케팅"),
        cjk_table(
            "kr",
            "members",
            "회원 테이블. 회원 정보(이름, 이메일, 가입일)를 저장합니다.",
            &[("name", "varchar(64)", "이름"), ("email", "varchar(255)", "이메일"), ("joined_at", "timestamptz", "가입일")],
        ),
    ]
}

// ---- queries ---------------------------------------------------------------------------

fn cjk_queries() -> Vec<(&'static str, &'static str, EntryKey)> {
    let api = EntryKey::api;
    let tbl = EntryKey::table;
    vec![
        ("zh", "怎么取消一个还没发货的订单", api("POST", "/cn/orders/{order_id}/cancel")),
        ("zh", "如何下单购买购物车里的商品", api("POST", "/cn/orders")),
        ("zh", "查询订单的快递单号和物流轨迹", api("GET", "/cn/orders/{order_id}/logistics")),
        ("zh", "用户怎么领优惠券", api("POST", "/cn/coupons/{coupon_id}/claim")),
        ("zh", "买家想要退款该调用哪个接口", api("POST", "/cn/refunds")),
        ("zh", "查看商品的用户评分", api("GET", "/cn/products/{product_id}/reviews")),
        ("zh", "会员积分可以换礼品吗", api("POST", "/cn/members/points/exchange")),
        ("zh", "修改默认收货地址", api("PUT", "/cn/users/{user_id}/address")),
        ("zh", "用微信支付付款", api("POST", "/cn/payments/wechat")),
        ("zh", "怎么给订单开电子发票", api("POST", "/cn/invoices")),
        ("zh", "附近有哪些门店", api("GET", "/cn/stores/nearby")),
        ("zh", "给手机发验证码", api("POST", "/cn/sms/verification-code")),
        ("zh", "订单数据存在哪张表", tbl("cn", "orders")),
        ("zh", "用户领取优惠券的记录保存在哪里", tbl("cn", "coupon_records")),
        ("zh", "物流节点存在哪个表", tbl("cn", "logistics_tracks")),
        ("zh", "会员积分的变动明细表", tbl("cn", "member_points")),
        ("ja", "商品を発送したいときに使うAPIは？", api("POST", "/jp/shipments")),
        ("ja", "請求書を取引先に送るにはどうすればいいですか", api("POST", "/jp/invoices/{invoice_id}/issue")),
        ("ja", "店舗の在庫数を知りたい", api("GET", "/jp/stores/{store_id}/inventory")),
        ("ja", "会員にポイントをあげる方法", api("POST", "/jp/points/grant")),
        ("ja", "退会処理のAPI", api("DELETE", "/jp/members/{member_id}")),
        ("ja", "来店の予約を取りたい", api("POST", "/jp/reservations")),
        ("ja", "予約の人数を変更する方法", api("PATCH", "/jp/reservations/{reservation_id}")),
        ("ja", "追跡番号はどのテーブルに保存されていますか", tbl("jp", "shipments")),
        ("ja", "ポイントの利用履歴のテーブル", tbl("jp", "point_ledger")),
        ("ja", "来店日時はどこに保存されている", tbl("jp", "reservations")),
        ("ko", "구독을 해지하려면 어떻게 하나요", api("POST", "/kr/subscriptions/{subscription_id}/cancel")),
        ("ko", "배송 상태 확인", api("GET", "/kr/orders/{order_id}/delivery")),
        ("ko", "회원 정보가 저장된 테이블", tbl("kr", "members")),
    ]
}

fn special_queries() -> Vec<(&'static str, EntryKey)> {
    let api = EntryKey::api;
    let tbl = EntryKey::table;
    vec![
        ("how do I cancel a subscription", api("POST", "/subscriptions/{id}/cancel")),
        ("which table stores invoice line items", tbl("public", "invoice_line_items")),
        ("give money back to a customer for a card charge", api("POST", "/payments/{id}/refund")),
        ("I forgot my password, how do I reset it", api("POST", "/auth/password-reset")),
        ("log in with email and password to get an access token", api("POST", "/auth/login")),
        ("exchange a refresh token for a new access token", api("POST", "/auth/refresh")),
        ("our api key leaked, how do we replace it", api("POST", "/api-keys/{id}/rotate")),
        ("contest a chargeback", api("POST", "/disputes/{id}/submit-evidence")),
        ("block a gift card that was stolen", api("POST", "/gift-cards/{id}/disable")),
        ("turn a qualified lead into a deal", api("POST", "/leads/{id}/convert")),
        ("where is the carrier tracking number of a parcel stored", tbl("public", "shipments")),
        ("which table lists signed-in browser sessions", tbl("public", "sessions")),
        ("is the service up? liveness probe", api("GET", "/health")),
        ("profile of the currently signed in user", api("GET", "/me")),
        ("approve this month's salaries", api("POST", "/payroll-runs/{id}/approve")),
        ("approve a vacation request", api("POST", "/time-off-requests/{id}/approve")),
        ("configure single sign-on with okta", api("POST", "/sso-connections")),
        ("erase all personal data of a person under gdpr", api("POST", "/deletion-requests")),
        ("stop sending newsletters to an address", api("POST", "/newsletter-subscribers/{id}/unsubscribe")),
        ("reorder a van's delivery stops to drive less", api("POST", "/routes/{id}/optimize")),
        ("switch a feature flag on or off", api("POST", "/feature-flags/{id}/toggle")),
        ("presigned url to upload a big file", api("POST", "/uploads")),
        ("set up two-factor authentication with an authenticator app", api("POST", "/auth/mfa/totp")),
        ("scrape prometheus metrics", api("GET", "/metrics")),
        ("which table has the lead score", tbl("public", "leads")),
        ("table with the iban of merchant bank accounts", tbl("public", "bank_accounts")),
        ("where are a customer's saved cards stored", tbl("public", "payment_methods")),
        ("mark a deal as won", api("POST", "/deals/{id}/win")),
        ("run a background job right now", api("POST", "/scheduled-jobs/{id}/trigger")),
        ("pause billing for a customer's subscription for a while", api("POST", "/subscriptions/{id}/pause")),
    ]
}

type Template = (&'static [&'static str], fn(&Resource) -> Option<EntryKey>);

fn templates() -> Vec<Template> {
    fn at(r: &Resource, method: &str, suffix: &str) -> Option<EntryKey> {
        Some(EntryKey::api(method, &format!("{}{suffix}", r.path())))
    }
    vec![
        (&["how can I permanently remove {a}", "delete {a} for good", "get rid of {a}"], |r| at(r, "DELETE", "/{id}")),
        (&["fetch a single {s} by its id", "look up one {s}", "show me the details of {a}"], |r| at(r, "GET", "/{id}")),
        (&["show all {p} page by page", "paginate through {p}", "list every {s} in the workspace"], |r| at(r, "GET", "")),
        (&["add a new {s}", "how do I create {a}", "register a new {s}"], |r| at(r, "POST", "")),
        (&["change just one field of {a}", "partially update {a}", "edit the {f} of {a}"], |r| at(r, "PATCH", "/{id}")),
        (&["replace all fields of {a}", "overwrite {a} completely"], |r| at(r, "PUT", "/{id}")),
        (&["find {p} by keyword", "full text search for {p}"], |r| at(r, "GET", "/search")),
        (&["download all {p} as a csv file", "export {p} to a file"], |r| at(r, "POST", "/export")),
        (&["upload a spreadsheet of {p}", "import {p} from a csv"], |r| at(r, "POST", "/import")),
        (&["how many {p} are there", "number of {p} matching a filter"], |r| at(r, "GET", "/count")),
        (&["make a copy of {a}", "clone {a}"], |r| at(r, "POST", "/{id}/duplicate")),
        (&["upload a file to {a}", "attach a pdf to {a}"], |r| at(r, "POST", "/{id}/attachments")),
        (&["read the discussion on {a}", "list the comments left on {a}"], |r| at(r, "GET", "/{id}/comments")),
        (&["add an internal note to {a}", "write a private staff note on {a}"], |r| at(r, "POST", "/{id}/notes")),
        (&["who changed this {s} and when", "audit trail of {a}"], |r| at(r, "GET", "/{id}/audit-log")),
        (&["follow {a} to get notified of changes", "subscribe a user to updates on {a}"], |r| at(r, "POST", "/{id}/watchers")),
        (&["roll back {a} to an earlier revision", "restore an old version of {a}"], |r| {
            at(r, "POST", "/{id}/versions/{version_id}/restore")
        }),
        (&["give a user edit access to {a}", "grant a team access to {a}"], |r| at(r, "POST", "/{id}/permissions")),
        (&["translate the name of {a} into japanese", "localise {a} for the french locale"], |r| {
            at(r, "PUT", "/{id}/translations/{locale}")
        }),
        (&["remind me about {a} next week", "schedule a reminder email for {a}"], |r| at(r, "POST", "/{id}/reminders")),
        (&["which table stores {p}", "where are {p} kept in the database", "sql table for {p}"], |r| {
            Some(EntryKey::table("public", &r.table))
        }),
        (&["which table has the {f} column of {p}", "in which table is the {f} of {a} stored"], |r| {
            Some(EntryKey::table("public", &r.table))
        }),
        (&["which table holds {s} attachments", "where are files attached to {p} stored in the database"], |r| {
            Some(EntryKey::table("public", &format!("{}_attachments", r.singular_snake())))
        }),
        (&["database table for comments on {p}", "where are {s} comments saved"], |r| {
            Some(EntryKey::table("public", &format!("{}_comments", r.singular_snake())))
        }),
        (&["where do deleted {p} end up", "table of archived {p}"], |r| Some(EntryKey::table("archive", &r.table))),
        (&["daily rollup table of {p}", "pre-aggregated {s} counts per day"], |r| {
            Some(EntryKey::table("analytics", &format!("{}_daily", r.table)))
        }),
        (&["chart of {p} created each day", "daily trend of new {p}"], |r| {
            Some(EntryKey::api("GET", &format!("/reports/{}/created-per-day", r.table.replace('_', "-"))))
        }),
        (&["how many {p} are in each status", "breakdown of {p} by status"], |r| {
            Some(EntryKey::api("GET", &format!("/reports/{}/by-status", r.table.replace('_', "-"))))
        }),
    ]
}

fn fill(template: &str, r: &Resource, field: &str) -> String {
    template.replace("{a}", &r.a()).replace("{s}", &r.singular).replace("{p}", &r.plural()).replace("{f}", field)
}

/// The evaluation set with (at most) `n` entries; queries only name entries that exist.
/// `generate(10_000)` has exactly 10,000 entries and well over 200 queries.
pub fn generate(n: usize) -> EvalSet {
    let resources = parse_resources();
    let mut entries = Vec::new();
    entries.extend(global_ops());
    entries.extend(cjk_entries());
    for r in &resources {
        resource_ops(r, &mut entries);
        resource_tables(r, &mut entries);
    }
    for r in &resources {
        legacy_ops(r, &mut entries);
    }
    let mut seen = HashSet::new();
    entries.retain(|e| seen.insert(e.key()));
    entries.truncate(n);
    let keys: HashSet<EntryKey> = entries.iter().map(Entry::key).collect();

    let mut queries = Vec::new();
    for (text, key) in special_queries() {
        queries.push(LabelledQuery { text: text.into(), expected: key, lang: "en" });
    }
    for (lang, text, key) in cjk_queries() {
        queries.push(LabelledQuery { text: text.into(), expected: key, lang });
    }
    let mut rng = Rng(0x5eed_cafe);
    let ts = templates();
    let mut used = HashSet::new();
    let mut attempts = 0;
    while queries.len() < 320 && attempts < 5_000 {
        attempts += 1;
        let r = rng.pick(&resources);
        let (phrasings, expect) = &ts[rng.below(ts.len())];
        let phrasing = rng.pick(phrasings);
        let field = rng.pick(&r.fields).description.to_lowercase();
        let field = if phrasing.contains("column") { rng.pick(&r.fields).name.replace('_', " ") } else { field };
        let text = fill(phrasing, r, &field);
        let Some(key) = expect(r) else { continue };
        if keys.contains(&key) && used.insert(text.clone()) {
            queries.push(LabelledQuery { text, expected: key, lang: "en" });
        }
        // Actions: "how do I <verb> <a>", phrased from the verb, not the summary.
        if !r.actions.is_empty() && rng.below(4) == 0 {
            let act = rng.pick(&r.actions);
            let verb = act.verb.replace('-', " ");
            let text = match rng.below(3) {
                0 => format!("how do I {verb} {}", r.a()),
                1 => format!("{verb} {} through the api", r.a()),
                _ => format!("is there an endpoint to {verb} {}?", r.a()),
            };
            let key = EntryKey::api("POST", &format!("{}/{{id}}/{}", r.path(), act.verb));
            if keys.contains(&key) && used.insert(text.clone()) {
                queries.push(LabelledQuery { text, expected: key, lang: "en" });
            }
        }
    }
    queries.retain(|q| keys.contains(&q.expected));
    EvalSet { entries, queries }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_full_set_has_ten_thousand_entries_and_enough_queries() {
        let set = generate(10_000);
        assert_eq!(set.entries.len(), 10_000);
        assert!(set.queries.len() >= 200, "{}", set.queries.len());
        let keys: HashSet<EntryKey> = set.entries.iter().map(Entry::key).collect();
        assert_eq!(keys.len(), 10_000, "keys are unique");
        assert!(set.queries.iter().all(|q| keys.contains(&q.expected)));
        for lang in ["zh", "ja", "ko"] {
            assert!(set.queries.iter().any(|q| q.lang == lang), "{lang}");
        }
        let tables = set.entries.iter().filter(|e| e.kind() == EntryKind::Table).count();
        assert!(tables > 1_000, "{tables}");
        // Queries are not copies of summaries.
        let summaries: HashSet<String> = set.entries.iter().map(|e| e.headline().to_lowercase()).collect();
        let copies = set.queries.iter().filter(|q| summaries.contains(&q.text.to_lowercase())).count();
        assert!(copies * 20 < set.queries.len(), "{copies} queries copy a summary");
    }

    #[test]
    fn generation_is_deterministic_and_bounded() {
        let a = generate(500);
        let b = generate(500);
        assert_eq!(a.entries, b.entries);
        assert_eq!(a.queries, b.queries);
        assert_eq!(a.entries.len(), 500);
    }

    #[test]
    fn english_plurals() {
        assert_eq!(plural_of("category"), "categories");
        assert_eq!(plural_of("activity"), "activities");
        assert_eq!(plural_of("survey"), "surveys");
        assert_eq!(plural_of("business hours entry"), "business hours entries");
        assert_eq!(plural_of("address"), "addresses");
        assert_eq!(article("invoice"), "an invoice");
        assert_eq!(article("SLA policy"), "an SLA policy");
    }

    #[test]
    fn the_test_embedding_is_normalised_and_deterministic() {
        let a = test_embedding("Cancel a subscription");
        assert_eq!(a.len(), TEST_EMBEDDING_DIM);
        assert!((a.iter().map(|x| x * x).sum::<f32>() - 1.0).abs() < 1e-4);
        assert_eq!(a, test_embedding("cancel  a SUBSCRIPTION!"));
        let close = crate::vector::dot(&a, &test_embedding("cancel the subscriptions"));
        let far = crate::vector::dot(&a, &test_embedding("warehouse stock transfer"));
        assert!(close > far + 0.2, "{close} vs {far}");
        assert!(test_embedding("").iter().all(|&x| x == 0.0));
        assert_eq!(test_embedding("订单").len(), TEST_EMBEDDING_DIM);
    }
}
